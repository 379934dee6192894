import { LuaScript } from "../script.js";

// KEYS[1] = one user's preferences for one agent: a hash whose value fields are 'v:<key>' (JSON) and
// whose bookkeeping fields start with '_', so no preference key can collide with them.

/**
 * ARGV: now, expiresAt, physicalTtlMs (relative Redis expiry: ttl + margin), 'set'|'patch', maxBytes, then
 * quadruples (op 's'|'d', key, valueJson|'', keyJsonBytes). A `set`, or any write to an expired record, starts
 * from an empty record; the version continues from a live record.
 * The record's size as `LIMITS.maxValueBytes` measures it (the bytes of the JSON object `{"k":v,...}`) is kept in
 * '_bytes' as the sum over entries of keyJson + ':' + valueJson + ',', so the JSON is 1 + that (2 when empty).
 * A write whose result would be over maxBytes writes nothing and returns {'__too_large', size}.
 * Returns the whole hash.
 */
export const WRITE_PREFERENCES = new LuaScript(
  "writePreferences",
  `#!lua
local m = redis.call('HMGET', KEYS[1], '_expires', '_version', '_bytes')
local live = m[1] and tonumber(m[1]) > tonumber(ARGV[1])
local version = 0
if live then version = tonumber(m[2]) end
local fresh = ARGV[4] == 'set' or not live
local sum = 0
if not fresh then
  if m[3] then
    sum = tonumber(m[3])
  else
    -- A record written before '_bytes' existed: measured from its fields (key JSON taken as the key plus quotes).
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, 2) == 'v:' then sum = sum + (#all[i] - 2 + 2) + 1 + #all[i + 1] + 1 end
    end
  end
end
for i = 6, #ARGV, 4 do
  if not fresh then
    local old = redis.call('HSTRLEN', KEYS[1], 'v:' .. ARGV[i + 1])
    if redis.call('HEXISTS', KEYS[1], 'v:' .. ARGV[i + 1]) == 1 then
      sum = sum - (tonumber(ARGV[i + 3]) + 1 + old + 1)
    end
  end
  if ARGV[i] == 's' then sum = sum + tonumber(ARGV[i + 3]) + 1 + #ARGV[i + 2] + 1 end
end
local size = 2
if sum > 0 then size = 1 + sum end
if size > tonumber(ARGV[5]) then return {'__too_large', tostring(size)} end
if fresh then redis.call('UNLINK', KEYS[1]) end
for i = 6, #ARGV, 4 do
  if ARGV[i] == 's' then
    redis.call('HSET', KEYS[1], 'v:' .. ARGV[i + 1], ARGV[i + 2])
  else
    redis.call('HDEL', KEYS[1], 'v:' .. ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], '_version', version + 1, '_updated', ARGV[1], '_expires', ARGV[2], '_bytes', sum)
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
