import { describe, expect, it } from "vitest";
import { expiresAtFrom, isExpired, systemClock, toEpochSeconds } from "../src/clock.js";

describe("expiry arithmetic", () => {
  it("expiresAtFrom adds ttlSeconds as milliseconds", () => {
    expect(expiresAtFrom(1_000, 60)).toBe(61_000);
  });

  it("isExpired: alive while now < expiresAt, expired from expiresAt on", () => {
    expect(isExpired(10_000, 9_999)).toBe(false);
    expect(isExpired(10_000, 10_000)).toBe(true);
    expect(isExpired(10_000, 10_001)).toBe(true);
  });

  it("toEpochSeconds rounds up, so a TTL never deletes an item before it expires", () => {
    expect(toEpochSeconds(1_000)).toBe(1);
    expect(toEpochSeconds(1_001)).toBe(2);
    expect(toEpochSeconds(1_999)).toBe(2);
    expect(toEpochSeconds(0)).toBe(0);
  });

  it("systemClock reads Date.now", () => {
    const before = Date.now();
    const now = systemClock();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
