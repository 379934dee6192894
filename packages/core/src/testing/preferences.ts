import { describe, expect, it } from "vitest";
import type { Json } from "../types.js";
import { type StateStoreContractOptions, useStore } from "./harness.js";

/** Preferences: set, patch (per-key merge, undefined removes), versions, delete. */
export function describePreferencesContract(options: StateStoreContractOptions): void {
  describe("preferences", () => {
    const t = useStore(options);

    it("get of a missing record is null", async () => {
      expect(await t.store.preferences.get("u", "a")).toBeNull();
    });

    it("set creates at version 1 and replaces all values on the next set", async () => {
      const now = t.clock.now();
      const first = await t.store.preferences.set("u", "a", { theme: "dark", fontSize: 14 });
      expect(first).toEqual({
        userId: "u",
        agentId: "a",
        values: { theme: "dark", fontSize: 14 },
        version: 1,
        updatedAt: now,
        expiresAt: now + 7 * 24 * 3600 * 1000,
      });
      expect(await t.store.preferences.get("u", "a")).toEqual(first);
      t.clock.advance(5000);
      const second = await t.store.preferences.set("u", "a", { lang: "de" });
      expect(second).toMatchObject({ values: { lang: "de" }, version: 2, updatedAt: t.clock.now() });
      expect(await t.store.preferences.get("u", "a")).toEqual(second);
    });

    it("patch merges per key, undefined removes a key, and creates the record if absent", async () => {
      const created = await t.store.preferences.patch("u", "a", { theme: "dark", nested: { a: 1 } });
      expect(created).toMatchObject({ values: { theme: "dark", nested: { a: 1 } }, version: 1 });
      const merged = await t.store.preferences.patch("u", "a", { lang: "en", nested: { b: 2 } });
      expect(merged).toMatchObject({ values: { theme: "dark", lang: "en", nested: { b: 2 } }, version: 2 });
      const removed = await t.store.preferences.patch("u", "a", { theme: undefined, missing: undefined });
      expect(removed.values).toEqual({ lang: "en", nested: { b: 2 } });
      expect(removed.version).toBe(3);
      expect(await t.store.preferences.get("u", "a")).toEqual(removed);
    });

    it("a key named __proto__ (as JSON.parse makes it) is stored as a value, never as a prototype", async () => {
      const changes = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as Record<string, Json>;
      const patched = await t.store.preferences.patch("u", "proto", changes);
      expect(Object.keys(patched.values).sort()).toEqual(["__proto__", "plain"]);
      const stored = await t.store.preferences.get("u", "proto");
      expect([Object.prototype, null]).toContain(Object.getPrototypeOf(stored?.values));
      expect(Object.getOwnPropertyDescriptor(stored?.values, "__proto__")?.value).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("patch stores null as a value, distinct from removing", async () => {
      const p = await t.store.preferences.patch("u", "a", { x: null });
      expect(p.values).toEqual({ x: null });
    });

    it("delete removes the record: true once, then false", async () => {
      await t.store.preferences.set("u", "a", { a: 1 });
      expect(await t.store.preferences.delete("u", "a")).toBe(true);
      expect(await t.store.preferences.delete("u", "a")).toBe(false);
      expect(await t.store.preferences.get("u", "a")).toBeNull();
      const again = await t.store.preferences.patch("u", "a", { b: 2 });
      expect(again).toMatchObject({ values: { b: 2 }, version: 1 });
    });

    it("keeps each user and agent pair apart", async () => {
      await t.store.preferences.set("u1", "a1", { v: "u1a1" });
      await t.store.preferences.set("u1", "a2", { v: "u1a2" });
      await t.store.preferences.set("u2", "a1", { v: "u2a1" });
      expect((await t.store.preferences.get("u1", "a1"))?.values).toEqual({ v: "u1a1" });
      expect((await t.store.preferences.get("u1", "a2"))?.values).toEqual({ v: "u1a2" });
      expect((await t.store.preferences.get("u2", "a1"))?.values).toEqual({ v: "u2a1" });
      expect(await t.store.preferences.get("u2", "a2")).toBeNull();
    });

    it("values round-trip exactly and returned objects are copies", async () => {
      const values = {
        list: [1, "two", null, { three: 3 }],
        flag: false,
        n: -0.5,
        "": "empty",
        deep: { a: { b: {} } },
      };
      const set = await t.store.preferences.set("u", "a", values);
      (values.list as unknown[]).push("mutated");
      (set.values.list as unknown[]).push("mutated too");
      const got = await t.store.preferences.get("u", "a");
      expect(got?.values).toEqual({
        list: [1, "two", null, { three: 3 }],
        flag: false,
        n: -0.5,
        "": "empty",
        deep: { a: { b: {} } },
      });
    });
  });
}
