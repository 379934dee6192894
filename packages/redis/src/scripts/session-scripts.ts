import { LuaScript } from "../script.js";

// Conventions for every script: "now" and every timestamp arrive as decimal strings from the store's
// injected clock (never Redis TIME), and timestamps computed here are written with '%.0f' because Lua's
// tostring would print 1.7e+12. A session's keys are KEYS[1] = meta hash, KEYS[2] = message stream, both
// under one hash tag. A session is live while now < its `expires` field.

/** ARGV: now, expiresAt, ttlMs, registeredUntil, sessionId, userId|'', agentId|'', stateJson. */
export const CREATE_SESSION = new LuaScript(
  "createSession",
  `#!lua
local expires = redis.call('HGET', KEYS[1], 'expires')
if expires and tonumber(expires) > tonumber(ARGV[1]) then return 'exists' end
-- Whatever is left of an expired session under this id goes, so nothing of it reappears.
redis.call('UNLINK', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[5], 'user', ARGV[6], 'agent', ARGV[7], 'state', ARGV[8],
  'version', 1, 'count', 0, 'tool', '', 'created', ARGV[1], 'active', ARGV[1], 'expires', ARGV[2],
  'ttl', ARGV[3], 'reg', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 'ok'
`,
);

// Shared by update and append: slides expiry of both keys to now + the session's ttl and, when that
// passes the session's registration in the user index and stats registry, moves the registration one
// ttl further (returned as 1 so the store refreshes those two other-slot keys; rare by design).
const SLIDE = `
local function slide(now, ttl, registered)
  local expires = now + ttl
  local expiresText = string.format('%.0f', expires)
  redis.call('HSET', KEYS[1], 'active', ARGV[1], 'expires', expiresText)
  redis.call('PEXPIREAT', KEYS[1], expiresText)
  redis.call('PEXPIREAT', KEYS[2], expiresText)
  if expires > registered then
    local registeredUntil = string.format('%.0f', expires + ttl)
    redis.call('HSET', KEYS[1], 'reg', registeredUntil)
    return registeredUntil
  end
  return ''
end
`;

/**
 * ARGV: now, expectedVersion|'', setState '1'|'0', stateJson, setTool '1'|'0', toolName|''.
 * Returns {'missing'} | {'conflict', storedVersion} | {'ok', metaFields, newRegistration|''}.
 */
export const UPDATE_SESSION = new LuaScript(
  "updateSession",
  `#!lua
${SLIDE}
local now = tonumber(ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'expires', 'version', 'ttl', 'reg')
if not m[1] or tonumber(m[1]) <= now then return {'missing'} end
if ARGV[2] ~= '' and m[2] ~= ARGV[2] then return {'conflict', tonumber(m[2])} end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'state', ARGV[4]) end
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'tool', ARGV[6]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
local registration = slide(now, tonumber(m[3]), tonumber(m[4]))
return {'ok', redis.call('HGETALL', KEYS[1]), registration}
`,
);

/**
 * ARGV: now, then one message JSON per message. Numbers the messages from the session's counter, adds
 * them to the stream as entries 0-<n>, and slides expiry.
 * Returns {'missing'} | {'ok', firstSequence, newRegistration|'', userId|''}.
 */
export const APPEND_MESSAGES = new LuaScript(
  "appendMessages",
  `#!lua
${SLIDE}
local now = tonumber(ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'expires', 'ttl', 'reg', 'user')
if not m[1] or tonumber(m[1]) <= now then return {'missing'} end
local n = #ARGV - 1
local last = redis.call('HINCRBY', KEYS[1], 'count', n)
local first = last - n + 1
for i = 1, n do
  redis.call('XADD', KEYS[2], '0-' .. string.format('%d', first + i - 1), 'm', ARGV[i + 1])
end
local registration = slide(now, tonumber(m[2]), tonumber(m[3]))
return {'ok', first, registration, m[4]}
`,
);

/**
 * ARGV: now, recentCount. Returns {metaFields, entries}: the meta hash as it is (the store judges
 * expiry) and, when the session is live, its last `recentCount` stream entries, newest first.
 */
export const GET_SESSION_WITH_RECENT = new LuaScript(
  "getSessionWithRecent",
  `#!lua flags=no-writes
local meta = redis.call('HGETALL', KEYS[1])
local expires = redis.call('HGET', KEYS[1], 'expires')
if not expires or tonumber(expires) <= tonumber(ARGV[1]) then return {meta, {}} end
return {meta, redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[2])}
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

/** ARGV: now. Removes both keys; returns {1 if the session was live else 0, userId|''}. */
export const DELETE_SESSION = new LuaScript(
  "deleteSession",
  `#!lua
local m = redis.call('HMGET', KEYS[1], 'expires', 'user')
local live = 0
if m[1] and tonumber(m[1]) > tonumber(ARGV[1]) then live = 1 end
redis.call('UNLINK', KEYS[1], KEYS[2])
return {live, m[2] or ''}
`,
);
