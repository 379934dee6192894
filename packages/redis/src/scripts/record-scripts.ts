import { PHYSICAL_EXPIRY_MARGIN_MS } from "../expiry.js";
import { LuaScript } from "../script.js";

// A scope's keys share its hash tag (one Cluster slot): the index `…:i` (every record key, all scores 0, so
// lexical order = UTF-8 byte order), the ttl index `…:x` (keys of records with a ttl, scored by expiresAt)
// and one hash per record `<recordKeyPrefix><key>` with fields v (value bytes), t ('j' JSON text | 'b'
// bytes), n (version), u (updatedAt), e (expiresAt, '' = never). A record is live while it exists and
// e is '' or now < e, now always being the store's clock. Redis's own expiry of a record key counts from the
// server's time (one TIME per write script + the remaining ttl + a margin), so it never comes before the
// logical one whatever the server's clock.
// Record keys are reached through the index, so scripts read keys of their scope's slot that are not in
// KEYS (always the same slot as KEYS[1]).

/**
 * How often an overwrite that keeps a record without a ttl sweeps: when the stored version is a multiple of
 * this. Such a write adds nothing to either index, and the sweep's ZRANGEBYSCORE cost it 0.7–1.0 µs of the
 * script's ≈5.5 µs on the server (`INFO commandstats`, sequential writes). Every write that grows an index (a
 * new record, a ttl) still sweeps up to 100, so records that expired are dropped faster than the indexes grow.
 */
export const SWEEP_EVERY_VERSIONS = 16;

// Is the record in hash fields {n, e} live at `now`?
const LIVE = `
local function isLive(n, e, now)
  return n and (not e or e == '' or tonumber(e) > now)
end
`;

// Lua statements for RECORD_WRITE, written into the script rather than defined as Lua functions (a script
// creates its functions anew on every call): serverNow set from the server's TIME unless it already is
// (read once, only by a write that sets an expiry: every key's expiry from one instant)...
const SERVER_NOW_ONCE = `if not serverNow then
  local time = redis.call('TIME')
  serverNow = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end`;

// ...the version live in the record read as m ({n, e}) into current (0 when none is)...
const LIVE_VERSION = `local current = 0
if m[1] and (not m[2] or m[2] == '' or tonumber(m[2]) > now) then current = tonumber(m[1]) end`;

// ...up to 100 records whose ttl has passed dropped (hash, index and ttl index entries), listed in expired...
const SWEEP = `local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)
if #expired > 0 then
  for _, member in ipairs(expired) do redis.call('UNLINK', prefix .. member) end
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end`;

// ...and op i applied to its record (read as m, current live), its new version (0: deleted) in version.
const APPLY_OP = `local version = 0
do
  local base = 3 + (i - 1) * 7
  local key, member = KEYS[i + 2], ARGV[base + 2]
  if ARGV[base + 1] ~= 'p' then
    redis.call('UNLINK', key)
    redis.call('ZREM', KEYS[1], member)
    redis.call('ZREM', KEYS[2], member)
  else
    -- Whether the record's hash exists, and whether it never expires (then its key has no Redis expiry, it is
    -- not in the ttl index, and the indexes never expire either: see the end).
    local existed = m[1] ~= false
    version = current + 1
    local expires = ARGV[base + 6]
    redis.call('HSET', key, 'v', ARGV[base + 5], 't', ARGV[base + 4], 'n', version, 'u', ARGV[1], 'e', expires)
    if expires == '' then
      keepsForever = true
      if existed and m[2] == '' then
        hadForever = true
      else
        -- A hash HSET just made has no expiry; one that had a ttl loses it.
        if existed then redis.call('PERSIST', key) end
        redis.call('ZREM', KEYS[2], member)
      end
    else
      ${SERVER_NOW_ONCE}
      redis.call('PEXPIREAT', key, string.format('%.0f', serverNow + tonumber(ARGV[base + 7])))
      redis.call('ZADD', KEYS[2], expires, member)
    end
    if not existed then redis.call('ZADD', KEYS[1], 0, member) end
  end
end`;

/**
 * KEYS: index, ttl index, then one record key per op (in op order; distinct keys, as the store checks).
 * ARGV: now, atomic '1'|'0', recordKeyPrefix, then 7 per op: 'p'|'d', key, ifVersion|'', 'j'|'b'|'',
 * value|'', expiresAt|'', physicalTtlMs|''. Checks every op's ifVersion against the live record (0 = none
 * live) first; with atomic and any failure nothing is applied, else every op that passed is applied.
 * Returns 2 per op:
 * 'ok', newVersion (0 for a delete) | 'conflict', liveVersion | 'skipped', 0; or, for one op that was
 * applied, its new version alone (an integer: the common reply, no table for the server to build). Also
 * drops up to 100 records whose ttl has passed (the sweep: on every write that creates a record, sets a ttl,
 * deletes or has several ops, and on an overwrite of a record whose version is a multiple of
 * SWEEP_EVERY_VERSIONS), and keeps both indexes alive as long as their longest-lived record.
 * A record's hash exists only while its key is in the index (a put adds both, a delete, the sweep and clear
 * remove both; Redis's own expiry removes only the hash, and never expires the index before a record), so a
 * put over an existing hash adds nothing to the index.
 */
export const RECORD_WRITE = new LuaScript(
  "recordWrite",
  `#!lua
local now = tonumber(ARGV[1])
local prefix = ARGV[3]
local serverNow
local count = (#ARGV - 3) / 7
-- keepsForever: this call leaves a record that never expires; hadForever: one of them never expired before.
local keepsForever, hadForever = false, false
local reply
if count == 1 then
  -- One op (the common write): its version alone when applied, no table to build.
  local i, m = 1, redis.call('HMGET', KEYS[3], 'n', 'e')
  -- The sweep, unless this put overwrites an existing record and leaves it without a ttl (the common write:
  -- it adds to neither index) and the stored version is not a multiple of ${SWEEP_EVERY_VERSIONS}.
  if ARGV[4] ~= 'p' or ARGV[9] ~= '' or not m[1] or tonumber(m[1]) % ${SWEEP_EVERY_VERSIONS} == 0 then
    ${SWEEP}
    -- This record among those dropped: it no longer exists.
    for _, member in ipairs(expired) do
      if member == ARGV[5] then m = {false, false} end
    end
  end
  ${LIVE_VERSION}
  if ARGV[6] ~= '' and tonumber(ARGV[6]) ~= current then
    reply = {'conflict', current}
  else
    ${APPLY_OP}
    reply = version
  end
else
  ${SWEEP}
  -- Every op's record as read (the HMGET reply itself), checked before any is applied.
  local reads, failed = {}, false
  for i = 1, count do
    local m = redis.call('HMGET', KEYS[i + 2], 'n', 'e')
    reads[i] = m
    ${LIVE_VERSION}
    local wanted = ARGV[3 + (i - 1) * 7 + 3]
    if wanted ~= '' and tonumber(wanted) ~= current then failed = true end
  end
  reply = {}
  for i = 1, count do
    local m = reads[i]
    ${LIVE_VERSION}
    local wanted = ARGV[3 + (i - 1) * 7 + 3]
    if wanted ~= '' and tonumber(wanted) ~= current then
      reply[#reply + 1] = 'conflict'
      reply[#reply + 1] = current
    elseif failed and ARGV[2] == '1' then
      reply[#reply + 1] = 'skipped'
      reply[#reply + 1] = 0
    else
      ${APPLY_OP}
      reply[#reply + 1] = 'ok'
      reply[#reply + 1] = version
    end
  end
end
local total = keepsForever and 1 or redis.call('ZCARD', KEYS[1])
if total == 0 then
  redis.call('UNLINK', KEYS[1], KEYS[2])
elseif keepsForever or redis.call('ZCARD', KEYS[2]) < total then
  -- Some record never expires: so do the indexes (they already did when one never expired before this call,
  -- since every write ends here).
  if not hadForever then
    redis.call('PERSIST', KEYS[1])
    redis.call('PERSIST', KEYS[2])
  end
else
  -- Every record has a ttl: the indexes live as long as the longest-lived one (never shortened).
  local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  ${SERVER_NOW_ONCE}
  local at = serverNow + math.max(tonumber(latest[2]) - now, 0) + ${PHYSICAL_EXPIRY_MARGIN_MS}
  at = math.max(at, redis.call('PEXPIRETIME', prefix .. latest[1]), redis.call('PEXPIRETIME', KEYS[1]))
  local text = string.format('%.0f', at)
  redis.call('PEXPIREAT', KEYS[1], text)
  redis.call('PEXPIREAT', KEYS[2], text)
end
return reply
`,
);

/**
 * KEYS: record keys. ARGV: now. Returns per key false (none live) or {value, type, version, updatedAt,
 * expiresAt}.
 */
export const RECORD_GET = new LuaScript(
  "recordGet",
  `#!lua flags=no-writes
${LIVE}
local now = tonumber(ARGV[1])
local reply = {}
for i, key in ipairs(KEYS) do
  local m = redis.call('HMGET', key, 'v', 't', 'n', 'u', 'e')
  if isLive(m[3], m[5], now) then reply[i] = m else reply[i] = false end
end
return reply
`,
);

/**
 * KEYS[1]: the index. ARGV: now, recordKeyPrefix, 'asc'|'desc', from, to (ZRANGE BYLEX bounds in reading
 * order: from low to high, or from high to low with REV), limit, scanBudget, byteBudget. Walks the index
 * from `from`, skipping records that are gone or expired (not counted toward the limit), collecting live
 * ones until `limit` of them or `byteBudget` bytes of values. Returns {status, lastScannedKey|'', items}
 * with items {key, value, type, version, updatedAt, expiresAt}; status 'more' (a live record follows the
 * page), 'done' (none follows) or 'partial' (scanBudget index members read: go on after lastScannedKey).
 */
export const RECORD_RANGE = new LuaScript(
  "recordRange",
  `#!lua flags=no-writes
${LIVE}
local now = tonumber(ARGV[1])
local prefix = ARGV[2]
local desc = ARGV[3] == 'desc'
local from, to = ARGV[4], ARGV[5]
local limit, budget, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local chunk = math.min(limit + 1, 1000)
local items, bytes, scanned = {}, 0, 0
while true do
  local members
  if desc then
    members = redis.call('ZRANGE', KEYS[1], from, to, 'BYLEX', 'REV', 'LIMIT', 0, chunk)
  else
    members = redis.call('ZRANGE', KEYS[1], from, to, 'BYLEX', 'LIMIT', 0, chunk)
  end
  for _, member in ipairs(members) do
    scanned = scanned + 1
    if #items < limit and bytes < maxBytes then
      local m = redis.call('HMGET', prefix .. member, 'v', 't', 'n', 'u', 'e')
      if isLive(m[3], m[5], now) then
        items[#items + 1] = {member, m[1], m[2], m[3], m[4], m[5]}
        bytes = bytes + #m[1]
      end
    else
      local m = redis.call('HMGET', prefix .. member, 'n', 'e')
      if isLive(m[1], m[2], now) then return {'more', '', items} end
    end
    from = '(' .. member
    if scanned >= budget then return {'partial', member, items} end
  end
  if #members < chunk then return {'done', '', items} end
end
`,
);

/**
 * KEYS: index, ttl index. ARGV: now, recordKeyPrefix, batch. Removes up to `batch` records of the scope
 * (the store calls it until none are left, so one call never blocks the server for long). Returns
 * {1 if one of them was live else 0, records left}.
 */
export const RECORD_CLEAR = new LuaScript(
  "recordClear",
  `#!lua
${LIVE}
local now = tonumber(ARGV[1])
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
local live = 0
for _, member in ipairs(members) do
  local key = ARGV[2] .. member
  local m = redis.call('HMGET', key, 'n', 'e')
  if isLive(m[1], m[2], now) then live = 1 end
  redis.call('UNLINK', key)
end
if #members > 0 then
  redis.call('ZREM', KEYS[1], unpack(members))
  redis.call('ZREM', KEYS[2], unpack(members))
end
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('UNLINK', KEYS[1], KEYS[2]) end
return {live, left}
`,
);
