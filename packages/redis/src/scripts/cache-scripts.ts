import { SERVER_NOW_MS } from "../expiry.js";
import { LuaScript } from "../script.js";

// KEYS[1] = one entry's hash, KEYS[2] = its tool's index; both under the tool's hash tag.

/**
 * No ARGV. Counts a hit on the entry when there is one; returns {valueJson, hitCount, cachedAt, expiresAt} or
 * false. The store judges expiry (by its clock, as every read): a hit counted on an entry past it is never read
 * (such an entry is never returned, and a `set` starts its count from 0).
 */
export const CACHE_GET = new LuaScript(
  "cacheGet",
  `#!lua
local m = redis.call('HMGET', KEYS[1], 'value', 'cachedAt', 'expires')
if not m[1] then return false end
return {m[1], redis.call('HINCRBY', KEYS[1], 'hits', 1), m[2], m[3]}
`,
);

/**
 * ARGV: now, expiresAt, valueJson, paramsHash, physicalTtlMs. Replaces the entry (hit count 0), indexes it
 * under its tool scored by expiry, drops index members that have expired, and keeps the index alive as
 * long as its longest-lived entry. Redis's expiry counts from the server's time (one TIME + physicalTtlMs =
 * ttl + margin, for both keys), so a clock that differs from the server's never makes Redis drop a live entry.
 */
export const CACHE_SET = new LuaScript(
  "cacheSet",
  `#!lua
${SERVER_NOW_MS}
local at = serverNowMs() + tonumber(ARGV[5])
local atText = string.format('%.0f', at)
redis.call('UNLINK', KEYS[1])
redis.call('HSET', KEYS[1], 'value', ARGV[3], 'hits', 0, 'cachedAt', ARGV[1], 'expires', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], atText)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
-- PEXPIRETIME is -1 for an index without expiry: it gets one too.
if redis.call('PEXPIRETIME', KEYS[2]) < at then redis.call('PEXPIREAT', KEYS[2], atText) end
return 1
`,
);

/**
 * KEYS: the tool's index, then entry keys; ARGV: the matching params hashes. Removes those entries
 * and their index members.
 */
export const CACHE_REMOVE = new LuaScript(
  "cacheRemove",
  `#!lua
for i = 2, #KEYS do redis.call('UNLINK', KEYS[i]) end
for i = 1, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
return #ARGV
`,
);
