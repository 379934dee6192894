import { describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { DEFAULT_PREFERENCES_TTL_SECONDS, DEFAULT_SESSION_TTL_SECONDS, LIMITS } from "../src/limits.js";
import { resolveCommonOptions } from "../src/options.js";

describe("resolveCommonOptions", () => {
  it("defaults to the system clock, a 1-hour session ttl and a 7-day preference ttl", () => {
    for (const options of [undefined, {}, { ttlSeconds: {} }]) {
      const resolved = resolveCommonOptions(options);
      expect(resolved.clock).toBe(systemClock);
      expect(resolved.ttlSeconds).toEqual({ session: 3600, preferences: 604_800 });
    }
    expect(DEFAULT_SESSION_TTL_SECONDS).toBe(3600);
    expect(DEFAULT_PREFERENCES_TTL_SECONDS).toBe(604_800);
  });

  it("keeps an injected clock and each ttl override on its own", () => {
    const clock = () => 42;
    expect(resolveCommonOptions({ clock }).clock).toBe(clock);
    expect(resolveCommonOptions({ ttlSeconds: { session: 60 } }).ttlSeconds).toEqual({
      session: 60,
      preferences: 604_800,
    });
    expect(resolveCommonOptions({ ttlSeconds: { preferences: 86_400 } }).ttlSeconds).toEqual({
      session: 3600,
      preferences: 86_400,
    });
    expect(
      resolveCommonOptions({ ttlSeconds: { session: 1, preferences: LIMITS.maxTtlSeconds } }).ttlSeconds,
    ).toEqual({ session: 1, preferences: LIMITS.maxTtlSeconds });
  });

  it.each([
    ["session", 0],
    ["session", -60],
    ["session", 1.5],
    ["session", Number.NaN],
    ["preferences", 0],
    ["preferences", LIMITS.maxTtlSeconds + 1],
  ] as const)("rejects ttlSeconds.%s = %d with a ValidationError naming the field", (kind, value) => {
    let caught: unknown;
    try {
      resolveCommonOptions({ ttlSeconds: { [kind]: value } });
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe("VALIDATION");
    expect((caught as { field?: string }).field).toBe(`ttlSeconds.${kind}`);
  });
});
