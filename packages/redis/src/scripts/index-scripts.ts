import { LuaScript } from "../script.js";

/**
 * KEYS[1]: a user's session index. ARGV: sessionId, physicalTtlMs (until `registeredUntil` by the store's
 * clock, plus a margin). Adds the id (all scores 0, so the set pages in lexical order) and makes the index
 * live at least that much longer (relative: a clock unlike the server's never shortens it).
 */
export const TOUCH_USER_INDEX = new LuaScript(
  "touchUserIndex",
  `#!lua
redis.call('ZADD', KEYS[1], 0, ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`,
);

/**
 * KEYS[1]: a stats registry. ARGV: now, score (a time until which the member may be live), member,
 * 'gt' to only raise an existing score. Also drops members whose score has passed, so it stays small.
 */
export const REGISTER = new LuaScript(
  "register",
  `#!lua
if ARGV[4] == 'gt' then
  redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[3])
else
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return 1
`,
);
