/**
 * How much longer than the logical expiry Redis keeps a key. Expiry is judged by the store's clock
 * (`now < expiresAt`); Redis's own expiry only reclaims memory, so it is set RELATIVE (`PEXPIRE` with the
 * remaining ttl) and never absolute: an app clock that differs from the server's, or a test's fake clock,
 * then moves only the logical expiry and never makes Redis delete a record that is still live. The margin
 * covers the time between reading the clock and the script running on the server.
 */
export const PHYSICAL_EXPIRY_MARGIN_MS = 1000;

/** The `PEXPIRE` milliseconds for a record that logically expires at `expiresAt`, judged at `now`. */
export function physicalTtlMs(expiresAt: number, now: number): number {
  return Math.max(expiresAt - now, 0) + PHYSICAL_EXPIRY_MARGIN_MS;
}
