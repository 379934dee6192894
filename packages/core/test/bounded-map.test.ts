import { describe, expect, it } from "vitest";
import { BoundedMap } from "../src/index.js";

describe("BoundedMap", () => {
  it("under 8 entries of capacity, drops exactly the least recently used one (set and use refresh; get does not)", () => {
    const map = new BoundedMap<string, number>(3);
    map.set("a", 1);
    map.set("b", 2);
    map.set("c", 3);
    expect(map.use("a")).toBe(1);
    expect(map.get("b")).toBe(2);
    map.set("d", 4);
    expect([map.has("a"), map.has("b"), map.has("c"), map.has("d")]).toEqual([true, false, true, true]);
    map.set("c", 30);
    map.set("e", 5);
    expect([map.has("a"), map.has("c"), map.has("d"), map.has("e")]).toEqual([false, true, true, true]);
    expect(map.size).toBe(3);
  });

  it("past a larger capacity, drops the oldest entries until an eighth of it is free", () => {
    const map = new BoundedMap<number, number>(16);
    for (let i = 0; i < 16; i++) map.set(i, i);
    expect(map.size).toBe(16);
    map.set(16, 16);
    expect(map.size).toBe(14);
    expect(map.has(0) || map.has(1) || map.has(2)).toBe(false);
    expect(map.has(3) && map.has(16)).toBe(true);
    // Many more: it never holds more than its capacity, and keeps the newest.
    for (let i = 17; i < 10_000; i++) map.set(i, i);
    expect(map.size).toBeLessThanOrEqual(16);
    expect(map.has(9_999)).toBe(true);
  });

  it("counts units by sizeOf, and keeps the count right through replace, delete and deleteWhere", () => {
    const map = new BoundedMap<string, Uint8Array>(100, (v) => v.byteLength);
    map.set("t1/a", new Uint8Array(30));
    map.set("t1/b", new Uint8Array(30));
    map.set("t2/a", new Uint8Array(30));
    expect(map.heldUnits).toBe(90);
    map.set("t1/a", new Uint8Array(10));
    expect(map.heldUnits).toBe(70);
    map.delete("missing");
    map.delete("t1/b");
    expect(map.heldUnits).toBe(40);
    map.deleteWhere((key) => key.startsWith("t1/"));
    expect([...["t1/a", "t2/a"].map((k) => map.has(k))]).toEqual([false, true]);
    expect(map.heldUnits).toBe(30);
    // 30 + 80 > 100: the oldest goes, down to 100 - 12.
    map.set("t3/a", new Uint8Array(80));
    expect(map.has("t2/a")).toBe(false);
    expect(map.heldUnits).toBe(80);
  });

  it("with capacity 0 keeps nothing", () => {
    const map = new BoundedMap<string, number>(0);
    map.set("a", 1);
    expect(map.size).toBe(0);
    expect(map.heldUnits).toBe(0);
  });
});
