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
