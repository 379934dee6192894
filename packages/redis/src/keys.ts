/**
 * How records map to Redis keys. Every id is escaped so that distinct ids never share a key and never
 * break out of their hash tag: `%`, `{`, `}` and `:` are percent-encoded (an injective mapping), so the
 * hash tag `{...}` always ends at our own `}` and `:` only ever separates key parts.
 *
 * Layout (P = keyPrefix):
 * - `P s:{<session>}:meta`  hash: one session's fields (slot chosen by the session id)
 * - `P s:{<session>}:msgs`  stream: its messages, entry id `0-<sequence>` (same slot as meta)
 * - `P s:{<session>}:idem`  hash: its appends' idempotency keys → "first:last:fingerprint" (same slot)
 * - `P r:{<scope>}:i`       sorted set (all scores 0, lexical = UTF-8 byte order): the scope's record keys
 * - `P r:{<scope>}:x`       sorted set: the keys of records with a ttl, scored by expiresAt (same slot)
 * - `P r:{<scope>}:k:<key>` hash: one record (value bytes, type, version, updatedAt, expiresAt)
 * - `P u:{<user>}:sessions` sorted set (all scores 0, lexical order): the user's session ids
 * - `P t:{<tool>}:e:<hash>` hash: one tool-cache entry (slot chosen by the tool name)
 * - `P t:{<tool>}:index`    sorted set: the tool's entry hashes scored by expiresAt
 * - `P p:{<user>}:<agent>`  hash: one user's preferences for one agent
 * - `P {registry:<shard>}:sessions` / `…:cache`: sorted sets that `stats()` counts, split into
 *   REGISTRY_SHARDS shards by member so no one Cluster slot takes every create and cache write
 */
export function escapeKeyPart(value: string): string {
  return value.replace(/[%{}:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** How many shards (each its own hash tag, so its own Cluster slot) each stats registry is split into. */
export const REGISTRY_SHARDS = 16;

function shardOf(member: string): number {
  let hash = 0x811c9dc5; // FNV-1a: cheap and evenly spread; this only balances load
  for (let i = 0; i < member.length; i++) hash = Math.imul(hash ^ member.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % REGISTRY_SHARDS;
}

const ALL_SHARDS = Array.from({ length: REGISTRY_SHARDS }, (_, shard) => shard);

/** The key builders for one store, bound to its key prefix. */
export class KeySpace {
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) {
      // A brace in the prefix would become the hash tag and put every record in one Cluster slot.
      throw new Error(`keyPrefix must not contain "{" or "}" (got ${JSON.stringify(prefix)})`);
    }
  }

  sessionMeta(sessionId: string): string {
    return `${this.prefix}s:{${escapeKeyPart(sessionId)}}:meta`;
  }

  sessionMessages(sessionId: string): string {
    return `${this.prefix}s:{${escapeKeyPart(sessionId)}}:msgs`;
  }

  sessionIdempotency(sessionId: string): string {
    return `${this.prefix}s:{${escapeKeyPart(sessionId)}}:idem`;
  }

  /** The session's three keys, [meta, messages, idempotency] (as the three methods above give them). */
  sessionKeys(sessionId: string): [meta: string, messages: string, idempotency: string] {
    const tag = `${this.prefix}s:{${escapeKeyPart(sessionId)}}:`;
    return [`${tag}meta`, `${tag}msgs`, `${tag}idem`];
  }

  /** A scope's record index (every key of the scope, for range and clear). */
  recordIndex(scope: string): string {
    return `${this.prefix}r:{${escapeKeyPart(scope)}}:i`;
  }

  /** A scope's ttl index (keys of records with a ttl, scored by expiresAt). */
  recordExpiries(scope: string): string {
    return `${this.prefix}r:{${escapeKeyPart(scope)}}:x`;
  }

  /**
   * What a scope's record keys start with; the record key follows as it is (it comes after the hash tag,
   * and the index and ttl index end in `:i` and `:x`, so no record key can name either).
   */
  recordKeyPrefix(scope: string): string {
    return `${this.prefix}r:{${escapeKeyPart(scope)}}:k:`;
  }

  /** A scope's index, ttl index and record key prefix (as the three methods above give them). */
  recordKeys(scope: string): { index: string; expiries: string; keyPrefix: string } {
    const tag = `${this.prefix}r:{${escapeKeyPart(scope)}}:`;
    return { index: `${tag}i`, expiries: `${tag}x`, keyPrefix: `${tag}k:` };
  }

  userSessions(userId: string): string {
    return `${this.prefix}u:{${escapeKeyPart(userId)}}:sessions`;
  }

  cacheEntry(toolName: string, paramsHash: string): string {
    return `${this.prefix}t:{${escapeKeyPart(toolName)}}:e:${paramsHash}`;
  }

  toolIndex(toolName: string): string {
    return `${this.prefix}t:{${escapeKeyPart(toolName)}}:index`;
  }

  preferences(userId: string, agentId: string): string {
    return `${this.prefix}p:{${escapeKeyPart(userId)}}:${escapeKeyPart(agentId)}`;
  }

  /** The registry shard that lists this session. */
  sessionRegistry(sessionId: string): string {
    return `${this.prefix}{registry:${shardOf(sessionId)}}:sessions`;
  }

  /** The registry shard that lists this cache entry (by its `cacheRegistryMember`). */
  cacheRegistry(member: string): string {
    return `${this.prefix}{registry:${shardOf(member)}}:cache`;
  }

  allSessionRegistries(): string[] {
    return ALL_SHARDS.map((shard) => `${this.prefix}{registry:${shard}}:sessions`);
  }

  allCacheRegistries(): string[] {
    return ALL_SHARDS.map((shard) => `${this.prefix}{registry:${shard}}:cache`);
  }

  /** The cache registry's member for one entry (tool names are escaped, so `:` separates exactly). */
  cacheRegistryMember(toolName: string, paramsHash: string): string {
    return `${escapeKeyPart(toolName)}:${paramsHash}`;
  }
}
