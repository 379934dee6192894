/**
 * How much longer than the logical expiry Redis keeps a key. Expiry is judged by the store's clock
 * (`now < expiresAt`); Redis's own expiry only reclaims memory, so it always counts from the SERVER's time,
 * never from the app's clock: `PEXPIRE` with the remaining ttl, or, where one script sets several keys'
 * expiry together, `PEXPIREAT` of the server's `TIME` read once in the script plus the remaining ttl (see
 * `SERVER_NOW_MS`). An app clock that differs from the server's, or a test's fake clock, then moves only the
 * logical expiry and never makes Redis delete a record that is still live. The margin covers the time
 * between reading the clock and the script running on the server.
 */
export const PHYSICAL_EXPIRY_MARGIN_MS = 1000;

/** The milliseconds Redis keeps a record that logically expires at `expiresAt`, judged at `now`. */
export function physicalTtlMs(expiresAt: number, now: number): number {
  return Math.max(expiresAt - now, 0) + PHYSICAL_EXPIRY_MARGIN_MS;
}

/**
 * Lua: `serverNowMs()`, the server's clock in epoch ms from `TIME`. A script that sets several keys' expiry
 * calls it once and gives every key `PEXPIREAT` that instant + its ttl: Redis 7.0 does not freeze time inside
 * a script, so relative `PEXPIRE`s run one after another could land on different milliseconds.
 */
export const SERVER_NOW_MS = `
local function serverNowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;
