import type { Clock, Millis } from "./types.js";

export const systemClock: Clock = () => Date.now();

/** When a record written at `now` with `ttlSeconds` expires. */
export function expiresAtFrom(now: Millis, ttlSeconds: number): Millis {
  return now + ttlSeconds * 1000;
}

/** A record is expired from its `expiresAt` on: alive while now < expiresAt. */
export function isExpired(expiresAt: Millis, now: Millis): boolean {
  return now >= expiresAt;
}

/** DynamoDB-style TTL (epoch seconds, rounded up so an item is never deleted before it expires). */
export function toEpochSeconds(millis: Millis): number {
  return Math.ceil(millis / 1000);
}

/**
 * A clock a test moves by hand; hand `clock.now` to a store. It starts at the real time (so backends that
 * also set real expiry, such as Redis PEXPIREAT, never see a time in the past) and only moves when told.
 * Exported here, not only from `@agent-state/core/testing` (which needs vitest), so any test runner can use it.
 */
export class ManualClock {
  private current: Millis;

  constructor(start: Millis = Date.now()) {
    this.current = start;
  }

  /** The clock function to hand to a store; bound, so it can be passed around. */
  readonly now: Clock = () => this.current;

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`ManualClock only moves forward (got ${ms})`);
    this.current += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}
