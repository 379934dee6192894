import { LuaScript } from "../script.js";

// KEYS[1] = one user's preferences for one agent: a hash whose value fields are 'v:<key>' (JSON) and
// whose bookkeeping fields start with '_', so no preference key can collide with them.

/**
 * ARGV: now, expiresAt, physicalTtlMs (relative Redis expiry: ttl + margin), 'set'|'patch', then triples
 * (op 's'|'d', key, valueJson|''). A `set`, or any write to an expired record, starts from an empty record;
 * the version continues from a live record.
 * Returns the whole hash.
 */
export const WRITE_PREFERENCES = new LuaScript(
  "writePreferences",
  `#!lua
local m = redis.call('HMGET', KEYS[1], '_expires', '_version')
local live = m[1] and tonumber(m[1]) > tonumber(ARGV[1])
local version = 0
if live then version = tonumber(m[2]) end
if ARGV[4] == 'set' or not live then redis.call('UNLINK', KEYS[1]) end
for i = 5, #ARGV, 3 do
  if ARGV[i] == 's' then
    redis.call('HSET', KEYS[1], 'v:' .. ARGV[i + 1], ARGV[i + 2])
  else
    redis.call('HDEL', KEYS[1], 'v:' .. ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], '_version', version + 1, '_updated', ARGV[1], '_expires', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('HGETALL', KEYS[1])
`,
);

/** ARGV: now. Removes the record; returns 1 if it was live, else 0. */
export const DELETE_PREFERENCES = new LuaScript(
  "deletePreferences",
  `#!lua
local expires = redis.call('HGET', KEYS[1], '_expires')
redis.call('UNLINK', KEYS[1])
if expires and tonumber(expires) > tonumber(ARGV[1]) then return 1 end
return 0
`,
);
