import { SESSION_FIELDS } from "../codec.js";
import { PHYSICAL_EXPIRY_MARGIN_MS } from "../expiry.js";
import { LuaScript } from "../script.js";

// Conventions for every script: "now" and every timestamp arrive as decimal strings from the store's
// injected clock (Redis TIME only anchors Redis's own expiry, never a logical time), and timestamps computed
// here are written with '%.0f' because Lua's tostring would print 1.7e+12. A session's keys are KEYS[1] =
// meta hash, KEYS[2] = message stream, KEYS[3] = idempotency hash (idempotency key →
// "first:last:fingerprint"), all under one hash tag. A session is live while now < its `expires` field.
// Redis's own expiry counts from the server's time (the remaining ttl + margin: PEXPIRE, or PEXPIREAT from
// one TIME where a script sets several keys), so only the logical expiry follows the store's clock. The meta
// hash keeps `count` (messages held), `seq` (the highest message sequence ever assigned: ids continue after
// removed ones), `last` (the sequence of the last message held, '' when none) and `idem` ('1' once the
// idempotency hash exists, '0' until then, so a session that never used an idempotency key never expires a key
// it does not have). Sessions written before `seq`/`last` existed fall back to `count` and the stream's last
// entry; those written before `idem` existed expire the idempotency hash anyway and learn the field then.

/** ARGV: now, expiresAt, ttlMs, registeredUntil, sessionId, userId|'', agentId|'', stateJson. */
export const CREATE_SESSION = new LuaScript(
  "createSession",
  `#!lua
local expires = redis.call('HGET', KEYS[1], 'expires')
if expires and tonumber(expires) > tonumber(ARGV[1]) then return 'exists' end
-- Whatever is left of an expired session under this id goes, so nothing of it reappears.
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3])
-- Field order matters to speed only: a small hash is a list Redis scans for each field asked, so the fields
-- every append reads and writes come first, then those only reads of the session use.
redis.call('HSET', KEYS[1], 'expires', ARGV[2], 'count', 0, 'active', ARGV[1], 'ttl', ARGV[3], 'reg', ARGV[4],
  'idem', '0', 'seq', 0, 'last', '', 'version', 1, 'id', ARGV[5], 'user', ARGV[6], 'agent', ARGV[7], 'tool', '',
  'created', ARGV[1], 'state', ARGV[8])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(ARGV[3]) + ${PHYSICAL_EXPIRY_MARGIN_MS}))
return 'ok'
`,
);

// Shared by update, append and truncate: slides expiry of the session's keys to now + the session's ttl
// and, when that passes the session's registration in the user index and stats registry, moves the
// registration one ttl further (left in the local registration, '' when it did not move, so the store refreshes
// those two other-slot keys; rare by design). Redis's expiry of the session's keys: one server instant (TIME,
// read once) + ttl + margin, the same millisecond for all.
// idemRead: the meta field 'idem' as read ('1': the idempotency hash KEYS[3] exists, '0': it does not,
// false: a session written before the field existed); idemNow: the same after this script's own writes.
// The idempotency hash gets its expiry unless it is known not to exist; for a session without the field, the
// reply of that PEXPIREAT tells whether it exists, and the field is written.
// fields: more meta fields (a Lua list "name, value, …") to set in the same HSET.
// Lua statements, written into each script rather than called as a function: a call with these arguments
// costs an append about a tenth of its time on the server.
function slide(o: { ttl: string; registered: string; idemRead: string; idemNow: string; fields?: string }) {
  const fields = o.fields === undefined ? "" : `, ${o.fields}`;
  return `local registration = ''
do
  local ttl, registered, idemRead, idemNow = ${o.ttl}, ${o.registered}, ${o.idemRead}, ${o.idemNow}
  local time = redis.call('TIME')
  local physicalAt = string.format('%.0f',
    tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + ttl + ${PHYSICAL_EXPIRY_MARGIN_MS})
  redis.call('PEXPIREAT', KEYS[1], physicalAt)
  redis.call('PEXPIREAT', KEYS[2], physicalAt)
  if idemNow ~= '0' then
    local found = redis.call('PEXPIREAT', KEYS[3], physicalAt)
    if not idemNow then idemNow = found == 1 and '1' or '0' end
  end
  local expires = now + ttl
  local expiresText = string.format('%.0f', expires)
  if expires <= registered and idemNow == idemRead then
    redis.call('HSET', KEYS[1], 'active', ARGV[1], 'expires', expiresText${fields})
  else
    local more = {'active', ARGV[1], 'expires', expiresText${fields}}
    if idemNow ~= idemRead then
      more[#more + 1] = 'idem'
      more[#more + 1] = idemNow
    end
    if expires > registered then
      registration = string.format('%.0f', expires + ttl)
      more[#more + 1] = 'reg'
      more[#more + 1] = registration
    end
    redis.call('HSET', KEYS[1], unpack(more))
  end
end`;
}

/**
 * ARGV: now, expectedVersion|'', setState '1'|'0', stateJson, setTool '1'|'0', toolName|''.
 * Returns {'missing'} | {'conflict', storedVersion} | {'ok', metaFields, newRegistration|''}.
 */
export const UPDATE_SESSION = new LuaScript(
  "updateSession",
  `#!lua
local now = tonumber(ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'expires', 'version', 'ttl', 'reg', 'idem')
if not m[1] or tonumber(m[1]) <= now then return {'missing'} end
if ARGV[2] ~= '' and m[2] ~= ARGV[2] then return {'conflict', tonumber(m[2])} end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'state', ARGV[4]) end
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'tool', ARGV[6]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
${slide({ ttl: "tonumber(m[3])", registered: "tonumber(m[4])", idemRead: "m[5]", idemNow: "m[5]" })}
return {'ok', redis.call('HGETALL', KEYS[1]), registration}
`,
);

// Lua statements: locals count, seq and last (with the fallbacks above) from the meta fields count, seq and
// last as read (Lua expressions). Statements rather than a function: an append's common path defines none.
function countersFrom(count: string, seq: string, last: string): string {
  return `local count, seq, last = tonumber(${count}), tonumber(${seq} or ${count}), ${last}
if not last then
  local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  last = newest[1] and string.sub(newest[1][1], 3) or ''
end`;
}

// The sequence of a stream entry id '0-<n>', and the session's counters read now (counters()).
const COUNTERS = `
local function sequenceOf(entryId) return string.sub(entryId, 3) end
local function counters()
  local c = redis.call('HMGET', KEYS[1], 'count', 'seq', 'last')
  ${countersFrom("c[1]", "c[2]", "c[3]")}
  return count, seq, last
end
`;

// The session's user, read only when a registration moved (the store needs it only then), else ''.
const USER_IF_REGISTRATION = "registration ~= '' and (redis.call('HGET', KEYS[1], 'user') or '') or ''";

// How append and truncate begin: m = {expires, ttl, reg, idem, count, seq, last} of a live session (one
// read of the meta hash), or {'missing'} back to the store.
const MESSAGE_WRITE_PRELUDE = `local now = tonumber(ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'expires', 'ttl', 'reg', 'idem', 'count', 'seq', 'last')
if not m[1] or tonumber(m[1]) <= now then return {'missing'} end`;

// Shared by truncate and an append's replace: what to remove and removing it. `newest(mode, position, max)`
// finds the newest entries to remove: mode 'last' with position = how many (fewer when the stream holds
// fewer), or mode 'after' with position = the sequence after which every entry goes ('' = not an id of this
// store). Returns the entries newest first and the sequence that is last once they are gone, or nil and
// the reply for the store: {'unknown'} (position is not an entry of the stream) or {'toomany', countAfter}
// (more than max after it). `removeEntries` deletes them (never renumbering: later appends continue after
// the highest sequence ever assigned) and updates the counters; it writes nothing when there are none.
const REMOVAL = `
local function newest(mode, position, max)
  local removed = {}
  if mode == 'last' then
    local n = tonumber(position)
    if n == 0 then return removed, '' end
    local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', n + 1)
    for i = 1, math.min(n, #entries) do removed[i] = entries[i] end
    return removed, entries[n + 1] and sequenceOf(entries[n + 1][1]) or ''
  end
  if position == '' or #redis.call('XRANGE', KEYS[2], '0-' .. position, '0-' .. position) == 0 then
    return nil, {'unknown'}
  end
  local later = redis.call('XRANGE', KEYS[2], '(0-' .. position, '+', 'COUNT', max + 1)
  if #later > max then
    -- Only to report how many: count the rest in small steps.
    local total = #later
    local from = later[#later][1]
    while true do
      local more = redis.call('XRANGE', KEYS[2], '(' .. from, '+', 'COUNT', 100)
      if #more == 0 then break end
      total = total + #more
      from = more[#more][1]
    end
    return nil, {'toomany', total}
  end
  for i = #later, 1, -1 do removed[#removed + 1] = later[i] end
  return removed, position
end
local function removeEntries(removed, newLast)
  if #removed == 0 then return end
  local ids = {}
  for i, entry in ipairs(removed) do ids[i] = entry[1] end
  redis.call('XDEL', KEYS[2], unpack(ids))
  local count, seq = counters()
  redis.call('HSET', KEYS[1], 'count', string.format('%d', count - #removed), 'seq', string.format('%d', seq),
    'last', newLast)
end
`;

/**
 * ARGV: now, then '' for a plain append (no precondition, idempotency key or replace: the common call, kept
 * short) or '1' followed by hasPrecondition '1'|'0', expectedLastSequence ('' = no messages, 'x' = an id
 * this store never assigns), idempotencyKey|'', fingerprint, replaceMode ''|'last'|'after', replacePosition,
 * the most the replace may remove; then one message JSON per message. In this order: a known idempotency key
 * answers with the first call's entries (or 'reused' when the fingerprint differs) and writes nothing; a
 * failed precondition (against the last message before any removal) writes nothing; with a replace mode,
 * what truncate would remove is found ('unknown' / 'toomany' write nothing) and removed; then the messages
 * are numbered after the highest sequence ever assigned, added as entries 0-<n>, the key recorded, and
 * expiry slid. Returns {'missing'} | {'reused'} | {'replay', entries} | {'conflict', lastSequence|''} |
 * {'unknown'} | {'toomany', countAfter} | {'ok', firstSequence, newRegistration, userId|''} when the
 * registration moved | firstSequence alone (an integer: the common reply, nothing for the server to build).
 */
export const APPEND_MESSAGES = new LuaScript(
  "appendMessages",
  `#!lua
${MESSAGE_WRITE_PRELUDE}
local conditional, expected, key, fingerprint, mode, position, max = '0', '', '', '', '', '', ''
-- ARGV index of the first message.
local from = 3
if ARGV[2] == '1' then
  conditional, expected, key, fingerprint, mode, position, max =
    ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
  from = 10
end
if key ~= '' then
  local seen = redis.call('HGET', KEYS[3], key)
  if seen then
    local first, last, seenFingerprint = string.match(seen, '^(%d+):(%d+):(.*)$')
    if seenFingerprint ~= fingerprint then return {'reused'} end
    return {'replay', redis.call('XRANGE', KEYS[2], '0-' .. first, '0-' .. last)}
  end
end
${countersFrom("m[5]", "m[6]", "m[7]")}
if conditional == '1' and expected ~= last then return {'conflict', last} end
if mode ~= '' then
  ${COUNTERS}
  ${REMOVAL}
  local removed, newLast = newest(mode, position, tonumber(max))
  if not removed then return newLast end
  if #removed > 0 then
    removeEntries(removed, newLast)
    count, seq = counters()
  end
end
local n = #ARGV - from + 1
local first = seq + 1
local lastText = string.format('%d', seq + n)
if n == 1 then
  redis.call('XADD', KEYS[2], '0-' .. lastText, 'm', ARGV[from])
else
  for i = 1, n do
    redis.call('XADD', KEYS[2], '0-' .. string.format('%d', seq + i), 'm', ARGV[from + i - 1])
  end
end
local idemNow = m[4]
if key ~= '' then
  redis.call('HSET', KEYS[3], key, string.format('%d', first) .. ':' .. lastText .. ':' .. fingerprint)
  idemNow = '1'
end
${slide({
  ttl: "tonumber(m[2])",
  registered: "tonumber(m[3])",
  idemRead: "m[4]",
  idemNow: "idemNow",
  fields: "'count', string.format('%d', count + n), 'seq', lastText, 'last', lastText",
})}
if registration == '' then return first end
return {'ok', first, registration, ${USER_IF_REGISTRATION}}
`,
);

/**
 * ARGV: now, 'last'|'after', the count to remove | the sequence after which to remove ('' = not an id of
 * this store), the most one call may remove. Removes the newest entries (see REMOVAL above) and slides
 * expiry. Returns {'missing'} | {'unknown'} | {'toomany', countAfter} | {'ok', entries newest first,
 * newRegistration|'', userId|''}.
 */
export const TRUNCATE_MESSAGES = new LuaScript(
  "truncateMessages",
  `#!lua
${MESSAGE_WRITE_PRELUDE}
${COUNTERS}
${REMOVAL}
local removed, newLast = newest(ARGV[2], ARGV[3], tonumber(ARGV[4]))
if not removed then return newLast end
removeEntries(removed, newLast)
${slide({ ttl: "tonumber(m[2])", registered: "tonumber(m[3])", idemRead: "m[4]", idemNow: "m[4]" })}
return {'ok', removed, registration, ${USER_IF_REGISTRATION}}
`,
);

/**
 * ARGV: now, recentCount. Returns {session, recent}: the meta hash's SESSION_FIELDS (HMGET, as the store's
 * other reads; the store judges expiry) and, when the session is live, its last `recentCount` messages newest
 * first, flat as {entryId, messageJson, entryId, messageJson, …}. Flat because every nested table a script
 * returns costs the server a conversion (about half the script's time for 20 entries) and the client a nested
 * decode. The store's fallback for `get` with recent messages when Redis refuses a transaction (over
 * maxmemory: this script is read-only, so it still runs).
 */
export const GET_SESSION_WITH_RECENT = new LuaScript(
  "getSessionWithRecent",
  `#!lua flags=no-writes
local meta = redis.call('HMGET', KEYS[1], ${SESSION_FIELDS.map((field) => `'${field}'`).join(", ")})
local expires = meta[${SESSION_FIELDS.indexOf("expires") + 1}]
if not expires or tonumber(expires) <= tonumber(ARGV[1]) then return {meta, {}} end
local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[2])
local recent = {}
for i = 1, #entries do
  local fields = entries[i][2]
  recent[2 * i - 1] = entries[i][1]
  for j = 1, #fields, 2 do
    if fields[j] == 'm' then recent[2 * i] = fields[j + 1] break end
  end
  recent[2 * i] = recent[2 * i] or '{}'
end
return {meta, recent}
`,
);

/**
 * ARGV: now, 'asc'|'desc', afterSequence|'', count. Returns false when the session is missing or
 * expired, else {'ok', entries}: up to `count` entries strictly after the given sequence, in order.
 */
export const PAGE_MESSAGES = new LuaScript(
  "pageMessages",
  `#!lua flags=no-writes
local expires = redis.call('HGET', KEYS[1], 'expires')
if not expires or tonumber(expires) <= tonumber(ARGV[1]) then return false end
if ARGV[2] == 'asc' then
  local from = ARGV[3] == '' and '-' or ('(0-' .. ARGV[3])
  return {'ok', redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', ARGV[4])}
end
local from = ARGV[3] == '' and '+' or ('(0-' .. ARGV[3])
return {'ok', redis.call('XREVRANGE', KEYS[2], from, '-', 'COUNT', ARGV[4])}
`,
);

/** ARGV: now. Removes the session's keys; returns {1 if the session was live else 0, userId|''}. */
export const DELETE_SESSION = new LuaScript(
  "deleteSession",
  `#!lua
local m = redis.call('HMGET', KEYS[1], 'expires', 'user')
local live = 0
if m[1] and tonumber(m[1]) > tonumber(ARGV[1]) then live = 1 end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3])
return {live, m[2] or ''}
`,
);
