import { describe, expect, it } from "vitest";
import type { Json } from "../types.js";
import { type StateStoreContractOptions, useStore } from "./harness.js";

/** Tool cache: canonical keys, hit counting, replacement, invalidation. */
export function describeToolCacheContract(options: StateStoreContractOptions): void {
  describe("tool cache", () => {
    const t = useStore(options);

    it("misses, then hits with the stored value, counting each hit", async () => {
      expect(await t.store.toolCache.get("search", { q: "x" })).toBeNull();
      const now = t.clock.now();
      await t.store.toolCache.set("search", { q: "x" }, { results: ["a", "b"] }, { ttlSeconds: 600 });
      expect(await t.store.toolCache.get("search", { q: "x" })).toEqual({
        value: { results: ["a", "b"] },
        hitCount: 1,
        cachedAt: now,
        expiresAt: now + 600_000,
      });
      expect((await t.store.toolCache.get("search", { q: "x" }))?.hitCount).toBe(2);
      expect((await t.store.toolCache.get("search", { q: "x" }))?.hitCount).toBe(3);
    });

    it("ignores parameter key order, at every depth", async () => {
      await t.store.toolCache.set("t", { a: 1, b: { c: 2, d: [1, { e: 3, f: 4 }] } }, "v", {
        ttlSeconds: 60,
      });
      const hit = await t.store.toolCache.get("t", { b: { d: [1, { f: 4, e: 3 }], c: 2 }, a: 1 });
      expect(hit?.value).toBe("v");
    });

    it("distinguishes parameter values, types, array order and tools", async () => {
      await t.store.toolCache.set("t", { a: 1 }, "number", { ttlSeconds: 60 });
      await t.store.toolCache.set("t", { a: [1, 2] }, "list", { ttlSeconds: 60 });
      await t.store.toolCache.set("t", {}, "empty", { ttlSeconds: 60 });
      expect(await t.store.toolCache.get("t", { a: "1" })).toBeNull();
      expect(await t.store.toolCache.get("t", { a: true })).toBeNull();
      expect(await t.store.toolCache.get("t", { a: null })).toBeNull();
      expect(await t.store.toolCache.get("t", { a: [2, 1] })).toBeNull();
      expect(await t.store.toolCache.get("t", { a: 1, b: null })).toBeNull();
      expect(await t.store.toolCache.get("other", { a: 1 })).toBeNull();
      expect((await t.store.toolCache.get("t", { a: 1 }))?.value).toBe("number");
      expect((await t.store.toolCache.get("t", { a: [1, 2] }))?.value).toBe("list");
      expect((await t.store.toolCache.get("t", {}))?.value).toBe("empty");
    });

    it("round-trips every kind of JSON value, and a cached null is a hit, not a miss", async () => {
      const values: Json[] = [
        null,
        false,
        0,
        -1.5,
        1e21,
        "",
        "✓ unicode 🚀",
        [],
        {},
        [1, "two", null, [3], { four: 4 }],
        { nested: { deeper: { list: [true, false], n: 9_007_199_254_740_991 } }, "": "empty key" },
      ];
      for (const [i, value] of values.entries()) {
        await t.store.toolCache.set("kinds", { i }, value, { ttlSeconds: 60 });
      }
      for (const [i, value] of values.entries()) {
        const hit = await t.store.toolCache.get("kinds", { i });
        expect(hit).not.toBeNull();
        expect(hit?.value).toEqual(value);
      }
    });

    it("set replaces the value, resets the hit count and restarts the ttl", async () => {
      await t.store.toolCache.set("t", { k: 1 }, "old", { ttlSeconds: 60 });
      await t.store.toolCache.get("t", { k: 1 });
      await t.store.toolCache.get("t", { k: 1 });
      t.clock.advanceSeconds(30);
      await t.store.toolCache.set("t", { k: 1 }, "new", { ttlSeconds: 120 });
      expect(await t.store.toolCache.get("t", { k: 1 })).toEqual({
        value: "new",
        hitCount: 1,
        cachedAt: t.clock.now(),
        expiresAt: t.clock.now() + 120_000,
      });
    });

    it("invalidate(tool, params) removes only that entry", async () => {
      await t.store.toolCache.set("t", { k: 1 }, 1, { ttlSeconds: 60 });
      await t.store.toolCache.set("t", { k: 2 }, 2, { ttlSeconds: 60 });
      await t.store.toolCache.invalidate("t", { k: 1 });
      expect(await t.store.toolCache.get("t", { k: 1 })).toBeNull();
      expect((await t.store.toolCache.get("t", { k: 2 }))?.value).toBe(2);
      await t.store.toolCache.invalidate("t", { k: 404 });
    });

    it("invalidate(tool) removes every entry of that tool and nothing of any other tool", async () => {
      const neighbours = ["search2", "searc", "search#x", "search:x", "x#search", "Search"];
      for (let i = 0; i < 30; i++) await t.store.toolCache.set("search", { i }, i, { ttlSeconds: 60 });
      for (const tool of neighbours) await t.store.toolCache.set(tool, { i: 1 }, tool, { ttlSeconds: 60 });
      await t.store.toolCache.invalidate("search");
      for (let i = 0; i < 30; i++) expect(await t.store.toolCache.get("search", { i })).toBeNull();
      for (const tool of neighbours) expect((await t.store.toolCache.get(tool, { i: 1 }))?.value).toBe(tool);
      await t.store.toolCache.set("search", { i: 1 }, "again", { ttlSeconds: 60 });
      expect(await t.store.toolCache.get("search", { i: 1 })).toMatchObject({ value: "again", hitCount: 1 });
      await t.store.toolCache.invalidate("never-used");
    });

    it("returns copies: mutating a hit or the inputs changes nothing cached", async () => {
      const params = { q: ["a"] };
      const value = { list: [1] };
      await t.store.toolCache.set("copy", params, value, { ttlSeconds: 60 });
      params.q.push("b");
      value.list.push(2);
      const hit = await t.store.toolCache.get<{ list: number[] }>("copy", { q: ["a"] });
      expect(hit?.value).toEqual({ list: [1] });
      hit?.value.list.push(3);
      expect((await t.store.toolCache.get("copy", { q: ["a"] }))?.value).toEqual({ list: [1] });
    });

    it("caches a 40 KB result", async () => {
      const value = { text: "x".repeat(40 * 1024) };
      await t.store.toolCache.set("big", { doc: 1 }, value, { ttlSeconds: 60 });
      expect((await t.store.toolCache.get("big", { doc: 1 }))?.value).toEqual(value);
    });
  });
}
