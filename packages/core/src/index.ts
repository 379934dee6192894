export { BoundedMap } from "./bounded-map.js";
export { canonicalJson, hashParams } from "./canonical.js";
export { expiresAtFrom, isExpired, ManualClock, systemClock, toEpochSeconds } from "./clock.js";
export { decodeCursor, encodeCursor } from "./cursor.js";
export type { StateStoreErrorCode, VersionConflict } from "./errors.js";
export {
  AlreadyExistsError,
  DecryptionFailedError,
  ItemTooLargeError,
  isStateStoreError,
  SessionNotFoundError,
  StateStoreError,
  ThrottledError,
  UnavailableError,
  ValidationError,
  VersionConflictError,
} from "./errors.js";
export type { CachedToolCall, CachedToolOutcome } from "./helpers.js";
export { cachedTool, cachedToolCall, getOrCreate, transact } from "./helpers.js";
export {
  createSortableIdGenerator,
  newSessionId,
  parseSequenceMessageId,
  sequenceMessageId,
  sequenceMessageIdOfDigits,
} from "./ids.js";
export {
  DEFAULT_PAGE_SIZE,
  DEFAULT_PREFERENCES_TTL_SECONDS,
  DEFAULT_SESSION_TTL_SECONDS,
  LIMITS,
  limitAllowanceBytes,
  withLimitAllowance,
} from "./limits.js";
export type {
  ObservableStore,
  StoreCollections,
  StoreEvent,
  StoreObservation,
} from "./observation.js";
export { observationOf, STORE_OBSERVATION, StoreEventHub, staticObservation } from "./observation.js";
export type { CommonStoreOptions, ResolvedCommonOptions } from "./options.js";
export { resolveCommonOptions } from "./options.js";
export type {
  CheckedDelete,
  CheckedPut,
  CheckedRange,
  CheckedRecordOp,
  EncodedRecordValue,
} from "./records.js";
export {
  compareKeys,
  decodeRecordValue,
  encodeRecordValue,
  inRange,
  parseRecordRange,
  parseRecordWrite,
  rangeBounds,
  rangeCursor,
  validateRecordKey,
  validateRecordKeys,
  validateRecordValue,
  validateScope,
} from "./records.js";
export type {
  AppendOptions,
  CachedResult,
  Clock,
  Json,
  Message,
  MessageInput,
  MessageRole,
  Millis,
  Page,
  PreferenceStore,
  Preferences,
  RecordOp,
  RecordRangeOptions,
  RecordStore,
  RecordValue,
  RecordWriteOptions,
  Session,
  SessionChanges,
  SessionInit,
  SessionStore,
  StateStore,
  StoredRecord,
  StoreStats,
  ToolCache,
  TruncateOptions,
  TtlDefaults,
} from "./types.js";
export {
  appendFingerprint,
  canonicalParams,
  checkedParamsHash,
  idempotencyKeyReused,
  isPlainObject,
  messageBytes,
  parseAppendOptions,
  parseGetOptions,
  parseMessagesOptions,
  parsePageOptions,
  parseToolCacheSet,
  parseTruncateOptions,
  parseUpdateOptions,
  type ReplaceTarget,
  readingInput,
  setOwn,
  tooManyToReplace,
  tooManyToTruncate,
  unknownMessageId,
  validateCount,
  validateExpectedVersion,
  validateId,
  validateJson,
  validateJsonObject,
  validateMessages,
  validateOptionalTtl,
  validateOrder,
  validatePreferenceChanges,
  validatePreferenceValues,
  validateSessionChanges,
  validateSessionInit,
  validateToolName,
  validateTtlSeconds,
} from "./validation.js";
export { checkValueSize, jsonBytes, mergePreferenceValues, preferenceValuesBytes } from "./value-limits.js";
