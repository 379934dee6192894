import { LuaScript } from "../script.js";

// KEYS[1] = one user's preferences for one agent: a hash whose value fields are 'v:<key>' (JSON) and
// whose bookkeeping fields start with '_', so no preference key can collide with them.

/**
 * ARGV: now, expiresAt, physicalTtlMs (relative Redis expiry: ttl + margin), 'set'|'patch', maxBytes, then
 * quadruples (op 's'|'d', key, valueJson|'', keyJsonBytes) with distinct keys. A `set`, or any write to an
 * expired record, starts from an empty record; the version continues from a live record.
 * The record's size as `LIMITS.maxValueBytes` measures it (the bytes of the JSON object `{"k":v,...}`) is kept in
 * '_bytes' as the sum over entries of keyJson + ':' + valueJson + ',', so the JSON is 1 + that (2 when empty).
 * A write whose result would be over maxBytes writes nothing and returns {'__too_large', size}.
 * Returns the fields of the live record as they were before this write (flat, as HGETALL gives them; none
 * for a `set` or when no record was live) followed by the new version: the store applies its own changes
 * to them. Reading the record once before writing (rather than HGETALL after, plus HSTRLEN per key) keeps
 * a patch at three commands: HGETALL, one HSET (values and bookkeeping; HDEL only for removed keys), PEXPIRE.
 */
export const WRITE_PREFERENCES = new LuaScript(
  "writePreferences",
  `#!lua
local now = tonumber(ARGV[1])
local fresh, exists, version, sum, before = true, true, 0, 0, {}
if ARGV[4] == 'patch' then
  local all = redis.call('HGETALL', KEYS[1])
  exists = #all > 0
  local fields = {}
  for i = 1, #all, 2 do fields[all[i]] = all[i + 1] end
  if fields._expires and tonumber(fields._expires) > now then
    fresh, version, before = false, tonumber(fields._version), all
    if fields._bytes then
      sum = tonumber(fields._bytes)
    else
      -- A record written before '_bytes' existed: measured from its fields (key JSON taken as the key plus quotes).
      for i = 1, #all, 2 do
        if string.sub(all[i], 1, 2) == 'v:' then sum = sum + #all[i] + 1 + #all[i + 1] + 1 end
      end
    end
    for i = 6, #ARGV, 4 do
      -- A stored value is JSON text, never empty: present or absent is all there is.
      local old = fields['v:' .. ARGV[i + 1]]
      if old then sum = sum - (tonumber(ARGV[i + 3]) + 1 + #old + 1) end
    end
  end
else
  local m = redis.call('HMGET', KEYS[1], '_expires', '_version')
  if m[1] and tonumber(m[1]) > now then version = tonumber(m[2]) end
end
local sets, removes = {}, {}
for i = 6, #ARGV, 4 do
  if ARGV[i] == 's' then
    sum = sum + tonumber(ARGV[i + 3]) + 1 + #ARGV[i + 2] + 1
    sets[#sets + 1] = 'v:' .. ARGV[i + 1]
    sets[#sets + 1] = ARGV[i + 2]
  else
    removes[#removes + 1] = 'v:' .. ARGV[i + 1]
  end
end
local size = 2
if sum > 0 then size = 1 + sum end
if size > tonumber(ARGV[5]) then return {'__too_large', tostring(size)} end
if fresh then
  if exists then redis.call('UNLINK', KEYS[1]) end
elseif #removes > 0 then
  for i = 1, #removes, 1000 do redis.call('HDEL', KEYS[1], unpack(removes, i, math.min(i + 999, #removes))) end
end
version = version + 1
if #sets == 2 then
  -- The common patch of one key: its value and the bookkeeping in one HSET, no table to unpack.
  redis.call('HSET', KEYS[1], sets[1], sets[2], '_version', version, '_updated', ARGV[1], '_expires', ARGV[2],
    '_bytes', sum)
else
  local n = #sets
  sets[n + 1], sets[n + 2], sets[n + 3], sets[n + 4] = '_version', version, '_updated', ARGV[1]
  sets[n + 5], sets[n + 6], sets[n + 7], sets[n + 8] = '_expires', ARGV[2], '_bytes', sum
  -- In slices: unpack has a bound on how many values it returns at once.
  for i = 1, #sets, 1000 do redis.call('HSET', KEYS[1], unpack(sets, i, math.min(i + 999, #sets))) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
before[#before + 1] = version
return before
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
