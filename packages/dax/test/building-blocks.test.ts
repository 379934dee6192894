import { describe, expect, it } from "vitest";
import { L1Cache } from "../src/l1-cache.js";
import { OwnWrites } from "../src/own-writes.js";
import { DaxTimeoutError, withTimeout } from "../src/with-timeout.js";

describe("L1Cache", () => {
  it("expires entries once older than ttlMs on the injected clock", () => {
    let now = 1_000_000;
    const l1 = new L1Cache({ ttlMs: 1_000 }, () => now);
    l1.set("k", { a: 1 }, 0, null);
    now += 999;
    expect(l1.peek("k")?.value).toEqual({ a: 1 });
    now += 2;
    expect(l1.peek("k")).toBeUndefined();
  });

  it("is bounded by entries, evicting the least recently used", () => {
    const l1 = new L1Cache({ maxEntries: 2 }, () => 0);
    l1.set("a", 1, 0, null);
    l1.set("b", 2, 0, null);
    l1.peek("a");
    l1.set("c", 3, 0, null);
    expect(l1.peek("b")).toBeUndefined();
    expect(l1.peek("a")?.value).toBe(1);
    expect(l1.size).toBe(2);
  });

  it("is bounded by bytes, and never keeps an entry larger than the whole budget", () => {
    const l1 = new L1Cache({ maxBytes: 100 }, () => 0);
    l1.set("big", "x".repeat(60), 0, null);
    expect(l1.peek("big")).toBeUndefined();
    // "x" × 30 is 32 JSON characters: 64 bytes, so the second one pushes the first out.
    l1.set("a", "x".repeat(30), 0, null);
    l1.set("b", "x".repeat(30), 0, null);
    expect(l1.calculatedBytes).toBeLessThanOrEqual(100);
    expect(l1.peek("a")).toBeUndefined();
    expect(l1.peek("b")?.value).toBe("x".repeat(30));
  });

  it("hands out copies", () => {
    const l1 = new L1Cache({}, () => 0);
    const value = { nested: { v: 1 } };
    l1.set("k", value, 0, null);
    value.nested.v = 2;
    const first = l1.peek("k")?.value as typeof value;
    first.nested.v = 3;
    expect(l1.peek("k")?.value).toEqual({ nested: { v: 1 } });
  });
});

describe("OwnWrites", () => {
  it("keeps a written scope away from DAX for the window after the write finished", () => {
    let now = 0;
    const writes = new OwnWrites({ bypassWindowMs: 1_000, maxTracked: 10, now: () => now });
    expect(writes.mustBypassDax("s")).toBe(false);
    writes.record(["s"]);
    now = 500;
    writes.record(["s"]);
    now = 1_499;
    expect(writes.mustBypassDax("s")).toBe(true);
    expect(writes.mustBypassDax("other")).toBe(false);
    now = 1_500;
    expect(writes.mustBypassDax("s")).toBe(false);
  });

  it("says an answer read before a write finished is stale, one read after is not", () => {
    const writes = new OwnWrites({ bypassWindowMs: 1_000, maxTracked: 10, now: () => 0 });
    const before = writes.position();
    writes.record(["s"]);
    const during = writes.position();
    writes.record(["s"]);
    const after = writes.position();
    expect(writes.changedSince("s", before)).toBe(true);
    expect(writes.changedSince("s", during)).toBe(true);
    expect(writes.changedSince("s", after)).toBe(false);
    expect(writes.changedSince("other", before)).toBe(false);
  });

  it("when it has to forget a scope early, treats every scope as written (safe, merely less cached)", () => {
    const writes = new OwnWrites({ bypassWindowMs: 1_000, maxTracked: 1, now: () => 0 });
    const before = writes.position();
    writes.record(["a"]);
    writes.record(["b"]);
    expect(writes.mustBypassDax("a")).toBe(true);
    expect(writes.mustBypassDax("never-written")).toBe(true);
    expect(writes.changedSince("never-written", before)).toBe(true);
  });
});

describe("withTimeout", () => {
  it("answers with the attempt when it settles first", async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("boom")), 1_000)).rejects.toThrow("boom");
  });

  it("rejects with DaxTimeoutError when the attempt never settles", async () => {
    const never = new Promise<number>(() => {});
    await expect(withTimeout(never, 5)).rejects.toBeInstanceOf(DaxTimeoutError);
  });
});
