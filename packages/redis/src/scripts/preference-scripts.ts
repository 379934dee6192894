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
 * Returns the value fields ('v:<key>', JSON) of the live record as they were before this write (flat, as
 * HGETALL gives them; none for a `set` or when no record was live) followed by the new version: the store
 * applies its own changes to them. Reading the record once before writing (rather than HGETALL after, plus HSTRLEN per key) keeps
 * a patch at three commands: HGETALL, one HSET (values and bookkeeping; HDEL only for removed keys), PEXPIRE.
 * The common patch of one key builds no table beyond HGETALL's reply (the first change is looked up in the
 * same pass as the bookkeeping fields).
 */
export const WRITE_PREFERENCES = new LuaScript(
  "writePreferences",
  `#!lua
local now = tonumber(ARGV[1])
local last = #ARGV
local live, exists, version, sum, before = false, true, 0, 0, nil
-- The field of the first change (the only one, in the common patch of one key); nil when there is none.
local firstName = last >= 9 and 'v:' .. ARGV[7] or nil
if ARGV[4] == 'patch' then
  local all = redis.call('HGETALL', KEYS[1])
  exists = #all > 0
  -- One pass: the bookkeeping fields, the value fields (the reply: only what the store needs), and the
  -- first change's old value.
  local expires, stored, bytes, firstOld, values = nil, nil, nil, nil, {}
  for i = 1, #all, 2 do
    local field = all[i]
    if field == '_expires' then expires = all[i + 1]
    elseif field == '_version' then stored = all[i + 1]
    elseif field == '_bytes' then bytes = all[i + 1]
    elseif field ~= '_updated' then
      values[#values + 1] = field
      values[#values + 1] = all[i + 1]
      if field == firstName then firstOld = all[i + 1] end
    end
  end
  if expires and tonumber(expires) > now then
    live, version, before = true, tonumber(stored), values
    if bytes then
      sum = tonumber(bytes)
    else
      -- A record written before '_bytes' existed: measured from its fields (key JSON taken as the key plus quotes).
      for i = 1, #all, 2 do
        if string.sub(all[i], 1, 2) == 'v:' then sum = sum + #all[i] + 1 + #all[i + 1] + 1 end
      end
    end
    -- A stored value is JSON text, never empty: present or absent is all there is.
    if firstOld then sum = sum - (tonumber(ARGV[9]) + 1 + #firstOld + 1) end
    if last > 9 then
      local fields = {}
      for i = 1, #all, 2 do fields[all[i]] = all[i + 1] end
      for i = 10, last, 4 do
        local old = fields['v:' .. ARGV[i + 1]]
        if old then sum = sum - (tonumber(ARGV[i + 3]) + 1 + #old + 1) end
      end
    end
  end
else
  local m = redis.call('HMGET', KEYS[1], '_expires', '_version')
  if m[1] and tonumber(m[1]) > now then version = tonumber(m[2]) end
end
for i = 6, last, 4 do
  if ARGV[i] == 's' then sum = sum + tonumber(ARGV[i + 3]) + 1 + #ARGV[i + 2] + 1 end
end
local size = 2
if sum > 0 then size = 1 + sum end
if size > tonumber(ARGV[5]) then return {'__too_large', tostring(size)} end
if not live and exists then redis.call('UNLINK', KEYS[1]) end
version = version + 1
if last == 9 and ARGV[6] == 's' then
  -- The common patch of one key: its value and the bookkeeping in one HSET, no table to build.
  redis.call('HSET', KEYS[1], firstName, ARGV[8], '_version', version, '_updated', ARGV[1], '_expires', ARGV[2],
    '_bytes', sum)
else
  local sets, removes = {}, {}
  for i = 6, last, 4 do
    if ARGV[i] == 's' then
      sets[#sets + 1] = 'v:' .. ARGV[i + 1]
      sets[#sets + 1] = ARGV[i + 2]
    elseif live then
      removes[#removes + 1] = 'v:' .. ARGV[i + 1]
    end
  end
  for i = 1, #removes, 1000 do redis.call('HDEL', KEYS[1], unpack(removes, i, math.min(i + 999, #removes))) end
  local n = #sets
  sets[n + 1], sets[n + 2], sets[n + 3], sets[n + 4] = '_version', version, '_updated', ARGV[1]
  sets[n + 5], sets[n + 6], sets[n + 7], sets[n + 8] = '_expires', ARGV[2], '_bytes', sum
  -- In slices: unpack has a bound on how many values it returns at once.
  for i = 1, #sets, 1000 do redis.call('HSET', KEYS[1], unpack(sets, i, math.min(i + 999, #sets))) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if not before then return {version} end
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
