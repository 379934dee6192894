/** Epoch milliseconds. Every time in the API is one of these. */
export type Millis = number;

/** A JSON value: what every stored value must be. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The source of "now" for a store; expiry is judged by it. */
export type Clock = () => Millis;

export type MessageRole = "system" | "user" | "assistant" | "tool";

export interface Message {
  /** Store-assigned; unique in its session; plain string comparison sorts ids in append order. */
  id: string;
  role: MessageRole;
  content: string;
  timestamp: Millis;
  metadata?: Record<string, Json>;
}

export type MessageInput = Omit<Message, "id" | "timestamp"> & { timestamp?: Millis };

export interface Session {
  sessionId: string;
  userId: string | null;
  agentId: string | null;
  state: Record<string, Json>;
  /** 1 at creation; each successful `update` adds exactly 1. */
  version: number;
  messageCount: number;
  lastToolCall: string | null;
  /** The region of the store that wrote last (`null` for stores without a region). */
  lastActiveRegion: string | null;
  createdAt: Millis;
  lastActiveAt: Millis;
  expiresAt: Millis;
}

/** `state` replaces the whole state object; an absent field is left as it is. */
export type SessionChanges = { state?: Record<string, Json>; lastToolCall?: string | null };

/** One page of a listing; `cursor` is null when there are no more pages. */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface SessionInit {
  sessionId?: string;
  userId?: string;
  agentId?: string;
  state?: Record<string, Json>;
  ttlSeconds?: number;
}

/** What `truncate` removes: the newest `removeLast` messages, or every message after `afterMessageId`. */
export type TruncateOptions = { removeLast: number } | { afterMessageId: string };

export interface AppendOptions {
  /**
   * The id of the session's last message as the caller last saw it (`null`: the session has no messages).
   * When another message was appended (or one removed) since, the append throws `VersionConflictError`
   * with `actualLastMessageId` and writes nothing.
   */
  expectedLastMessageId?: string | null;
  /**
   * Makes a retry safe: an append with a key this session has already seen writes nothing and returns the
   * messages the first call appended (its precondition is not checked again). The key is kept for the
   * session's lifetime; reusing it with other messages throws `ValidationError`. Messages of that first call
   * removed by `truncate` since are left out of the answer.
   */
  idempotencyKey?: string;
  /**
   * Makes the append a replacement: in the same atomic write, first remove what `truncate` would remove with
   * these options (the newest `removeLast` messages, or every message after `afterMessageId`), then append.
   * Either both happen or neither does, so an edit, a regenerated reply or a compaction never leaves the session
   * half rewritten. `expectedLastMessageId` is checked against the last message before the removal. The removed
   * messages and the appended ones count together against `LIMITS.maxMessagesPerAppend`; past it, or with an
   * `afterMessageId` that is not a message of the session, it throws `ValidationError` and changes nothing. With
   * an idempotency key, a retry writes nothing (it removes nothing again) and returns the first call's messages;
   * the key's first call includes its `replace`, so reusing the key with another `replace` is `ValidationError`.
   */
  replace?: TruncateOptions;
}

export interface SessionStore {
  /**
   * Creates a session (version 1, no messages) expiring `ttlSeconds` from now. Throws `AlreadyExistsError`
   * when a live session has that id; an expired one is replaced and nothing of it reappears.
   */
  create(init?: SessionInit): Promise<Session>;
  /** The live session, or null. With `recentMessages: n` it also carries the last n messages, oldest first. */
  get(
    sessionId: string,
    opts?: { recentMessages?: number },
  ): Promise<(Session & { recentMessages?: Message[] }) | null>;
  /**
   * Applies `changes`, adds 1 to the version and slides expiry. With `expectedVersion` it succeeds only if
   * the stored version equals it, else throws `VersionConflictError`. Missing or expired: `SessionNotFoundError`.
   */
  update(sessionId: string, changes: SessionChanges, opts?: { expectedVersion?: number }): Promise<Session>;
  /**
   * Appends messages atomically (all or none), assigning ids that sort after every earlier message (removed
   * ones included), adds them to `messageCount` and slides expiry. Missing or expired session:
   * `SessionNotFoundError`. See `AppendOptions` for the precondition, the idempotency key and `replace` (remove
   * the newest messages and append, atomically). Returns the appended messages.
   */
  append(
    sessionId: string,
    messages: MessageInput | MessageInput[],
    opts?: AppendOptions,
  ): Promise<Message[]>;
  /**
   * Atomically removes the newest messages, the last `removeLast` (all of them when there are fewer) or every
   * message after `afterMessageId`, and returns them oldest first. Later appends still get ids that sort after
   * every removed one. Slides expiry; the version is unchanged. At most `LIMITS.maxMessagesPerTruncate`
   * messages go in one call (more throws `ValidationError` and removes nothing); an `afterMessageId` that is
   * not a message of the session throws `ValidationError`.
   */
  truncate(sessionId: string, opts: TruncateOptions): Promise<Message[]>;
  /** Messages in append order (or reversed with `order: "desc"`), a page at a time. */
  messages(
    sessionId: string,
    opts?: { limit?: number; cursor?: string; order?: "asc" | "desc" },
  ): Promise<Page<Message>>;
  /** Removes the session and all its messages; false when there was no live session. */
  delete(sessionId: string): Promise<boolean>;
  /** The user's live sessions, a page at a time (order unspecified but stable across pages). */
  listByUser(userId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<Session>>;
}

export interface CachedResult<T> {
  value: T;
  /** How many `get`s have returned this entry, this one included. */
  hitCount: number;
  cachedAt: Millis;
  expiresAt: Millis;
}

export interface ToolCache {
  /** The live entry for this tool and these parameters (key order ignored), counting the hit atomically. */
  get<T extends Json>(toolName: string, params: Record<string, Json>): Promise<CachedResult<T> | null>;
  /** Stores (or replaces, resetting the hit count) the result for this tool and these parameters. */
  set<T extends Json>(
    toolName: string,
    params: Record<string, Json>,
    value: T,
    opts: { ttlSeconds: number },
  ): Promise<void>;
  /** Removes one entry, or with no `params` every entry of the tool and nothing of any other tool. */
  invalidate(toolName: string, params?: Record<string, Json>): Promise<void>;
}

export interface Preferences {
  userId: string;
  agentId: string;
  values: Record<string, Json>;
  /** 1 when the record is created; each `set` or `patch` adds 1. */
  version: number;
  updatedAt: Millis;
  expiresAt: Millis;
}

export interface PreferenceStore {
  /** The live record, or null. */
  get(userId: string, agentId: string): Promise<Preferences | null>;
  /** Replaces all values, sliding expiry. */
  set(
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences>;
  /** Merges per key (`undefined` removes the key), creating the record if absent, sliding expiry. */
  patch(
    userId: string,
    agentId: string,
    changes: Record<string, Json | undefined>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences>;
  /** Removes the record; false when there was no live record. */
  delete(userId: string, agentId: string): Promise<boolean>;
}

export interface StoreStats {
  activeSessions: number;
  cacheEntries: number;
  /** False when both counts are exact (expired records excluded); true when the backend only estimates. */
  approximate: boolean;
}

/** A record value: JSON, or bytes (returned as a plain `Uint8Array`). */
export type RecordValue = Json | Uint8Array;

/** One record of a scope, as stored. */
export interface StoredRecord {
  key: string;
  value: RecordValue;
  /** 1 at the first put (or the first after a delete or expiry); each put adds 1. */
  version: number;
  updatedAt: Millis;
  /** When the record expires, or null when it was put without `ttlSeconds`. */
  expiresAt: Millis | null;
}

/**
 * One change in a `records.write` batch. `ifVersion` is a precondition on the stored version: the op
 * applies only when it equals the live record's version, with 0 meaning "no live record" (an expired record
 * counts as absent). A put without `ttlSeconds` never expires.
 */
export type RecordOp =
  | { put: string; value: RecordValue; ifVersion?: number; ttlSeconds?: number }
  | { delete: string; ifVersion?: number };

export interface RecordRangeOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Only keys after this one (exclusive). */
  after?: string;
  /** Only keys before this one (exclusive). */
  before?: string;
  /** Key order (Unicode code point order, i.e. UTF-8 byte order); default "asc". */
  order?: "asc" | "desc";
  /** Page size, 1–1000; default 50. */
  limit?: number;
  /** From the previous page of the same listing (same scope and options). */
  cursor?: string;
}

export interface RecordWriteOptions {
  /**
   * All or nothing: when any precondition fails, nothing of the batch is written and concurrent readers
   * never see part of it. Without it (the default, cheaper on DynamoDB) each op is atomic on its own: all
   * ops are applied, and the first failure is thrown afterwards.
   */
  atomic?: boolean;
}

/**
 * Ordered key → value records inside a scope (a thread, a namespace). Keys sort by Unicode code point (UTF-8
 * byte order). Expired records are never returned. Limits: `LIMITS.maxRecordKeysPerGet`,
 * `LIMITS.maxRecordOpsPerWrite`, `LIMITS.maxRecordValueBytes` (larger values throw `ItemTooLargeError`).
 */
export interface RecordStore {
  /** The live records with these keys, in the same order as `keys` (null where there is none). */
  get(scope: string, keys: string[]): Promise<(StoredRecord | null)[]>;
  /** The live records in key order within the bounds, a page at a time. */
  range(scope: string, opts?: RecordRangeOptions): Promise<Page<StoredRecord>>;
  /**
   * Applies puts and deletes (each key at most once per batch) and returns the puts' records in op order.
   * A failed `ifVersion` throws `VersionConflictError` (with `scope`, `key`, `expectedVersion` and
   * `actualVersion`, 0 for absent); see `RecordWriteOptions` for what else was written.
   */
  write(scope: string, ops: RecordOp[], opts?: RecordWriteOptions): Promise<StoredRecord[]>;
  /** Removes every record of the scope; false when it held no live record. */
  clear(scope: string): Promise<boolean>;
}

export interface StateStore {
  readonly sessions: SessionStore;
  readonly records: RecordStore;
  readonly toolCache: ToolCache;
  readonly preferences: PreferenceStore;
  stats(): Promise<StoreStats>;
  /** Releases what the store opened (connections, timers). Idempotent. */
  close(): Promise<void>;
}

/** Default retention per kind, in seconds; every store's options accept overrides. */
export interface TtlDefaults {
  /** Sliding idle expiry of a session. Default 3600 (1 hour). */
  session?: number;
  /** Sliding expiry of a preference record. Default 604800 (7 days). */
  preferences?: number;
}
