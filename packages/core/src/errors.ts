/** Stable error codes: match on these, not on classes, since two copies of this package may be loaded. */
export type StateStoreErrorCode =
  | "VALIDATION"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "VERSION_CONFLICT"
  | "ITEM_TOO_LARGE"
  | "UNAVAILABLE"
  | "THROTTLED"
  | "DECRYPTION_FAILED";

/** The base of every error a store throws on purpose. */
export class StateStoreError extends Error {
  readonly code: StateStoreErrorCode;

  constructor(code: StateStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input, rejected before anything was written. `field` names the offending input, e.g. `state.a[2]`. */
export class ValidationError extends StateStoreError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("VALIDATION", `${field}: ${message}`, options);
    this.field = field;
  }
}

/** The session does not exist or has expired. */
export class SessionNotFoundError extends StateStoreError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super("NOT_FOUND", `session ${JSON.stringify(sessionId)} not found`);
    this.sessionId = sessionId;
  }
}

/** A live session already has this id. */
export class AlreadyExistsError extends StateStoreError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super("ALREADY_EXISTS", `session ${JSON.stringify(sessionId)} already exists`);
    this.sessionId = sessionId;
  }
}

/**
 * A precondition failed and nothing was written: an `update`'s `expectedVersion` (`sessionId`,
 * `expectedVersion`, `actualVersion`), an `append`'s `expectedLastMessageId` (`sessionId`,
 * `expectedLastMessageId`, `actualLastMessageId`) or a record op's `ifVersion` (`scope`, `key`,
 * `expectedVersion`, `actualVersion`, 0 for no live record). Fields that do not apply are undefined.
 */
export class VersionConflictError extends StateStoreError {
  readonly sessionId: string | undefined;
  readonly scope: string | undefined;
  readonly key: string | undefined;
  readonly expectedVersion: number | undefined;
  readonly actualVersion: number | undefined;
  readonly expectedLastMessageId: string | null | undefined;
  readonly actualLastMessageId: string | null | undefined;

  /** A session `update` conflict (the common case, hence the short form). */
  constructor(sessionId: string, expectedVersion: number, actualVersion: number);
  constructor(conflict: VersionConflict);
  constructor(first: string | VersionConflict, expectedVersion?: number, actualVersion?: number) {
    const conflict: VersionConflict =
      typeof first === "string" ? { sessionId: first, expectedVersion, actualVersion } : first;
    super("VERSION_CONFLICT", describeConflict(conflict));
    this.sessionId = conflict.sessionId;
    this.scope = conflict.scope;
    this.key = conflict.key;
    this.expectedVersion = conflict.expectedVersion;
    this.actualVersion = conflict.actualVersion;
    this.expectedLastMessageId = conflict.expectedLastMessageId;
    this.actualLastMessageId = conflict.actualLastMessageId;
  }

  /** A record op's `ifVersion` failed; `actualVersion` 0 means there is no live record. */
  static forRecord(scope: string, key: string, expectedVersion: number, actualVersion: number) {
    return new VersionConflictError({ scope, key, expectedVersion, actualVersion });
  }

  /** An append's `expectedLastMessageId` failed. */
  static forLastMessage(sessionId: string, expected: string | null, actual: string | null) {
    return new VersionConflictError({
      sessionId,
      expectedLastMessageId: expected,
      actualLastMessageId: actual,
    });
  }
}

/** What a `VersionConflictError` reports. */
export interface VersionConflict {
  sessionId?: string | undefined;
  scope?: string | undefined;
  key?: string | undefined;
  expectedVersion?: number | undefined;
  actualVersion?: number | undefined;
  expectedLastMessageId?: string | null | undefined;
  actualLastMessageId?: string | null | undefined;
}

function describeConflict(c: VersionConflict): string {
  if (c.key !== undefined) {
    return `record ${JSON.stringify(c.key)} in scope ${JSON.stringify(c.scope)}: expected version ${c.expectedVersion}, stored version is ${c.actualVersion}`;
  }
  if (c.expectedLastMessageId !== undefined) {
    return `session ${JSON.stringify(c.sessionId)}: expected last message ${JSON.stringify(c.expectedLastMessageId)}, it is ${JSON.stringify(c.actualLastMessageId)}`;
  }
  return `session ${JSON.stringify(c.sessionId)}: expected version ${c.expectedVersion}, stored version is ${c.actualVersion}`;
}

/** The record would exceed what the backend can store in one item; nothing was written. */
export class ItemTooLargeError extends StateStoreError {
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(what: string, sizeBytes: number, limitBytes: number) {
    super("ITEM_TOO_LARGE", `${what} is ${sizeBytes} bytes, over the backend's limit of ${limitBytes} bytes`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** The backend could not be reached or failed; `cause` holds the original error. Safe to retry reads. */
export class UnavailableError extends StateStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("UNAVAILABLE", message, options);
  }
}

/** The backend rejected the request for capacity reasons; retry later with backoff. */
export class ThrottledError extends StateStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("THROTTLED", message, options);
  }
}

/**
 * A stored value could not be decrypted: it was tampered with, moved to another place (row, session, key,
 * user), is not a ciphertext of the expected format (plaintext), or its key is not available. Nothing of the
 * stored value is returned. `what` names the value's kind and place (ids only, never content).
 */
export class DecryptionFailedError extends StateStoreError {
  readonly what: string;
  constructor(what: string, message: string, options?: { cause?: unknown }) {
    super("DECRYPTION_FAILED", `${what}: ${message}`, options);
    this.what = what;
  }
}

/** True for any state-store error (from any copy of this package), optionally of one code. */
export function isStateStoreError(error: unknown, code?: StateStoreErrorCode): error is StateStoreError {
  if (typeof error !== "object" || error === null) return false;
  const candidate = (error as { code?: unknown }).code;
  if (typeof candidate !== "string" || !(error instanceof Error)) return false;
  if (!STATE_STORE_ERROR_CODES.has(candidate)) return false;
  return code === undefined || candidate === code;
}

const STATE_STORE_ERROR_CODES: ReadonlySet<string> = new Set<StateStoreErrorCode>([
  "VALIDATION",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "VERSION_CONFLICT",
  "ITEM_TOO_LARGE",
  "UNAVAILABLE",
  "THROTTLED",
  "DECRYPTION_FAILED",
]);
