import { AsyncLocalStorage } from "node:async_hooks";

/** Limits every backend enforces identically (validation happens in core, before any backend call). */
export const LIMITS = {
  /** Longest session, user, agent id (UTF-16 code units). */
  maxIdLength: 256,
  /** Longest tool name. */
  maxToolNameLength: 128,
  /** Deepest nesting of a JSON value (DynamoDB's document limit is 32 levels). */
  maxJsonDepth: 32,
  /**
   * Most messages in one `append` call: it is atomic, and a DynamoDB transaction holds ≤ 100 items (the
   * messages, the session item and the idempotency record). An append with `replace` counts the messages it
   * removes and the ones it appends together.
   */
  maxMessagesPerAppend: 98,
  /** Most messages one `truncate` removes: atomic, as above (the messages and the session item). */
  maxMessagesPerTruncate: 99,
  /**
   * Largest message: UTF-8 bytes of its content plus the JSON of its metadata. Every backend stores this
   * much (DynamoDB compresses and chunks behind the scenes); more throws `ItemTooLargeError`.
   */
  maxMessageBytes: 8 * 1024 * 1024,
  /** Largest record value: its bytes, or the UTF-8 bytes of its JSON. More throws `ItemTooLargeError`. */
  maxRecordValueBytes: 8 * 1024 * 1024,
  /**
   * Largest session state, tool-cache value, and preference record (all its values together): UTF-8 bytes of
   * the value's JSON text (`JSON.stringify`). The same 8 MiB as a message or a record value, so code tested on
   * the memory store runs unchanged on every backend (DynamoDB compresses and chunks past its 400 KB items).
   * More throws `ItemTooLargeError` before anything is written; a preference `patch` is measured on the merged
   * record.
   */
  maxValueBytes: 8 * 1024 * 1024,
  /** Most bytes (as measured for messages and record values) in one `append` or `records.write`. */
  maxBytesPerWrite: 32 * 1024 * 1024,
  /** Longest record scope, in UTF-8 bytes. */
  maxRecordScopeBytes: 512,
  /** Longest record key, in UTF-8 bytes (DynamoDB sort keys hold ≤ 1024 bytes). */
  maxRecordKeyBytes: 512,
  /** Most keys in one `records.get` (DynamoDB BatchGetItem holds ≤ 100 keys). */
  maxRecordKeysPerGet: 100,
  /** Most ops in one `records.write` (an atomic one is one DynamoDB transaction of ≤ 100 items). */
  maxRecordOpsPerWrite: 100,
  /** Largest page (`limit`) and `recentMessages`. */
  maxPageSize: 1000,
  /** Longest ttl accepted: 10 years. */
  maxTtlSeconds: 10 * 365 * 24 * 3600,
} as const;

export const DEFAULT_SESSION_TTL_SECONDS = 3600;
export const DEFAULT_PREFERENCES_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_PAGE_SIZE = 50;

// One AsyncLocalStorage for every copy of this package loaded in the process, so an allowance set by a
// decorator built against one copy is seen by a backend built against another.
const ALLOWANCE_SLOT = Symbol.for("@agent-state/core.limitAllowance");
function allowanceStorage(): AsyncLocalStorage<number> {
  const slots = globalThis as { [ALLOWANCE_SLOT]?: AsyncLocalStorage<number> };
  slots[ALLOWANCE_SLOT] ??= new AsyncLocalStorage<number>();
  return slots[ALLOWANCE_SLOT];
}

/**
 * Runs `fn` with the size limits of `LIMITS` (per value and per write) raised by `extraBytes` for the store
 * calls it makes. For decorators that transform values (`@agent-state/encryption`): they check the caller's
 * value against `LIMITS` themselves, then hand the inner store a larger encoding of it (ciphertext, its key
 * and its nonce), and declare exactly how much larger. A caller of a plain store never sets it.
 */
export function withLimitAllowance<T>(extraBytes: number, fn: () => Promise<T>): Promise<T> {
  if (!Number.isSafeInteger(extraBytes) || extraBytes < 0) {
    throw new RangeError(`limit allowance must be a whole number of bytes ≥ 0, got ${extraBytes}`);
  }
  if (extraBytes === 0) return fn();
  return allowanceStorage().run(extraBytes, fn);
}

/** The bytes `withLimitAllowance` adds to every size limit for the current call (0 outside one). */
export function limitAllowanceBytes(): number {
  return allowanceStorage().getStore() ?? 0;
}
