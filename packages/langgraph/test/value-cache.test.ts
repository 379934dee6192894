import { describe, expect, it } from "vitest";
import { ValueCache } from "../src/value-cache.js";

const bytes = (n: number) => new Uint8Array(n);

describe("ValueCache", () => {
  it("keeps values by thread, namespace, writer, channel and version, least recently used out first", () => {
    const cache = new ValueCache(100);
    cache.set("t", "", "c1", "a", 1, bytes(20));
    cache.set("t", "", "c1", "b", 1, bytes(20));
    cache.set("t", "", "c2", "a", 2, bytes(20));
    expect(cache.get("t", "", "c1", "a", 1)?.byteLength).toBe(20);
    expect(cache.get("t", "", "c1", "a", "1")?.byteLength).toBe(20); // versions compare as strings
    expect(cache.get("t", "x", "c1", "a", 1)).toBeUndefined();
    expect(cache.get("u", "", "c1", "a", 1)).toBeUndefined();
    // 20 + 20 + 20 + 25 > 100: the least recently used (c1/b; c1/a was just read) goes.
    cache.set("t", "", "c3", "a", 3, bytes(25));
    cache.set("t", "", "c4", "a", 4, bytes(25));
    expect(cache.get("t", "", "c1", "b", 1)).toBeUndefined();
    expect(cache.get("t", "", "c1", "a", 1)).toBeDefined();
    expect(cache.get("t", "", "c4", "a", 4)).toBeDefined();
  });

  it("keeps a copy of a value that is a view into a larger buffer (so it does not hold the whole buffer)", () => {
    const cache = new ValueCache(100);
    const record = new Uint8Array(1000).fill(1);
    cache.set("t", "", "c1", "a", 1, record.subarray(10, 20));
    const kept = cache.get("t", "", "c1", "a", 1);
    expect(kept?.byteLength).toBe(10);
    expect(kept?.buffer.byteLength).toBe(10);
    const own = new Uint8Array(5);
    cache.set("t", "", "c1", "b", 1, own);
    expect(cache.get("t", "", "c1", "b", 1)).toBe(own);
  });

  it("does not keep a value over a quarter of its capacity, and drops a thread's entries", () => {
    const cache = new ValueCache(100);
    cache.set("t", "", "c1", "big", 1, bytes(26));
    expect(cache.get("t", "", "c1", "big", 1)).toBeUndefined();
    cache.set('t",', "", "c1", "a", 1, bytes(10));
    cache.set("t", "", "c1", "a", 1, bytes(10));
    cache.dropThread("t");
    expect(cache.get("t", "", "c1", "a", 1)).toBeUndefined();
    expect(cache.get('t",', "", "c1", "a", 1)).toBeDefined();
    const none = new ValueCache(0);
    none.set("t", "", "c1", "a", 1, bytes(1));
    expect(none.get("t", "", "c1", "a", 1)).toBeUndefined();
  });
});
