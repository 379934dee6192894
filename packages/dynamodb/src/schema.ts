/**
 * How records map to DynamoDB items. Three tables, each with a string partition key `pk` and sort key `sk`,
 * and a `ttl` attribute (epoch seconds) on every item for DynamoDB's TTL sweep. Expiry is judged on read by
 * the `expiresAt` attribute (epoch ms) against the store's clock, because the sweep runs days late.
 *
 * sessions     pk = "session#<sessionId>"   sk = "meta"                      the session (state, version, ...)
 *              pk = "session#<sessionId>"   sk = "m#<messageId>"             one item per message
 *              pk = "session#<sessionId>"   sk = "i#<incarnation>\u0001<key>" an append's idempotency record
 *              pk = "session#<sessionId>"   sk = "c#<writeId>\u0001<nnn>"    a chunk of a large message
 *              pk = "session#<sessionId>"   sk = "c#state\u0001<writeId>\u0001<nnn>" a chunk of a large state
 *              pk = "records#<scope>"       sk = "r#<key>"                   a record's head
 *              pk = "records#<scope>"       sk = "c#<key>\u0001<writeId>\u0001<nnn>" a chunk of a large record value
 *              GSI "byUser": userId (hash) + sessionId (range), on meta items only (messages have no userId)
 * tool cache   pk = <toolName>              sk = <sha256 of canonical params> the cached value
 *              pk = <toolName>              sk = "hits#<sha256>"             its hit counter (small, so counting
 *                                                                             a hit never rewrites the value)
 * preferences  pk = <userId>                sk = <agentId>                   values: map of "_<key>" -> JSON text
 *
 * Ids are never concatenated with each other, so ("a#b","c") and ("a","b#c") are different keys whatever
 * they contain. Message ids are ULIDs; "m#…" sorts below "meta", so one descending Query returns the meta
 * item followed by the newest messages. Each session incarnation has its own `incarnation` ULID and only
 * messages with larger ids belong to it: a session id reused after expiry never shows the old messages.
 */
export interface TableNames {
  sessions: string;
  toolCache: string;
  preferences: string;
  /**
   * Records (`store.records`: LangGraph checkpoints, key-value adapters) in a table of their own, with the
   * same `pk`/`sk`/`ttl` layout as the others and no index. Absent: records share the sessions table (their
   * partitions are `records#<scope>`, never a session's). A table of their own keeps their capacity, cost and
   * backups apart from the sessions', and their writes out of the sessions table's `byUser` index (which real
   * DynamoDB skips for items without `userId`, but DynamoDB Local maintains: ≈0.1 ms per write there).
   */
  records?: string;
}

/** Table names with every table decided: `records` is the sessions table unless named. */
export type ResolvedTableNames = Required<TableNames>;

export const DEFAULT_TABLE_NAMES: TableNames = {
  sessions: "agent-sessions",
  toolCache: "agent-tool-cache",
  preferences: "agent-user-preferences",
};

export const USER_INDEX = "byUser";
export const META_SK = "meta";
export const MESSAGE_SK_PREFIX = "m#";
/** Sorts above every message id (ULIDs are Crockford base32) and below "meta". */
export const MESSAGE_SK_MAX = "m#~";
export const HITS_SK_PREFIX = "hits#";
/** A scope's partition in the records table (the sessions table unless named): `records#<scope>`, never a session's `session#…`. */
export const RECORD_PK_PREFIX = "records#";
/** A record's head item: `r#<key>` (keys sort by UTF-8 bytes, as DynamoDB compares sort keys). */
export const RECORD_SK_PREFIX = "r#";
/** Chunk items of large values: `c#…`, below every `r#` and `m#` sort key, so no record or message Query sees them. */
export const CHUNK_SK_PREFIX = "c#";
/** Idempotency items of appends: `i#<incarnation>\u0001<key>`, below `m#`, so message Queries skip them. */
export const IDEMPOTENCY_SK_PREFIX = "i#";
export const PREFERENCE_KEY_PREFIX = "_";

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's limit on the total size of one TransactWriteItems request. */
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

export function sessionPk(sessionId: string): string {
  return `session#${sessionId}`;
}

export function messageSk(messageId: string): string {
  return MESSAGE_SK_PREFIX + messageId;
}

export function messageIdOf(sk: string): string {
  return sk.slice(MESSAGE_SK_PREFIX.length);
}

export function recordPk(scope: string): string {
  return RECORD_PK_PREFIX + scope;
}

export function recordSk(key: string): string {
  return RECORD_SK_PREFIX + key;
}

/** The chunk base of a record value written under `writeId` (scope keys hold no control characters). */
export function recordChunkBase(key: string, writeId: string): string {
  return `${CHUNK_SK_PREFIX}${key}\u0001${writeId}`;
}

/** The chunk base of a message payload written under `writeId` (a ULID ≤ the session's lastMessageId). */
export function messageChunkBase(writeId: string): string {
  return CHUNK_SK_PREFIX + writeId;
}

/**
 * The chunk base of a session state written under `writeId`: `c#state\u0001<writeId>` sorts above every message
 * chunk (`c#<ULID>`), so purging messages never takes it; the session's own delete and replacements remove it.
 */
export function stateChunkBase(writeId: string): string {
  return `${CHUNK_SK_PREFIX}state\u0001${writeId}`;
}

/** The chunk base of a tool-cache value (its params hash and entry id: a `set` never reuses one). */
export function cacheChunkBase(paramsHash: string, writeId: string): string {
  return `${CHUNK_SK_PREFIX}${paramsHash}\u0001${writeId}`;
}

/** The chunk base of a packed preference record (keyed by agent, so two agents' chunks never meet). */
export function preferenceChunkBase(agentId: string, writeId: string): string {
  return `${CHUNK_SK_PREFIX}${agentId}\u0001${writeId}`;
}

export function idempotencySk(incarnation: string, key: string): string {
  return `${IDEMPOTENCY_SK_PREFIX}${incarnation}\u0001${key}`;
}

export function hitsSk(paramsHash: string): string {
  return HITS_SK_PREFIX + paramsHash;
}

export function resolveTableNames(tables: Partial<TableNames> | undefined): ResolvedTableNames {
  const named = { ...DEFAULT_TABLE_NAMES, ...tables };
  return { ...named, records: named.records ?? named.sessions };
}

/** Each distinct table once: sessions, tool cache, preferences, then records when they have their own. */
export function distinctTables(tables: TableNames): string[] {
  const all = [tables.sessions, tables.toolCache, tables.preferences];
  if (tables.records !== undefined && !all.includes(tables.records)) all.push(tables.records);
  return all;
}

/**
 * Upper bound of an item's stored size in bytes (DynamoDB counts attribute names plus values; a number
 * takes at most 21 bytes), used to throw `ItemTooLargeError` before writing.
 */
export function itemSizeBytes(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name, "utf8") + valueSizeBytes(value);
  }
  return size;
}

function valueSizeBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value, "utf8");
  if (typeof value === "number") return 21;
  if (typeof value === "boolean" || value === null) return 1;
  if (typeof value === "object")
    return 3 + itemSizeBytes(value as Record<string, unknown>) + 4 * Object.keys(value).length;
  return 0;
}
