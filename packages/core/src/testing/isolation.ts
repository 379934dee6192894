import { describe, expect, it } from "vitest";
import { type StateStoreContractOptions, useStore } from "./harness.js";

const SEPARATORS = [
  "#",
  ":",
  "|",
  "/",
  "\\",
  ".",
  "_",
  "-",
  "%",
  "$",
  "{",
  "}",
  "@",
  "~",
  " ",
  "%23",
  "\u00a0",
];

/** No pair of distinct ids reaches the same record, whatever separator a backend uses inside its keys. */
export function describeIsolationContract(options: StateStoreContractOptions): void {
  describe("isolation", () => {
    const t = useStore(options);

    it("preferences of (a<sep>b, c) and (a, b<sep>c) are different records", async () => {
      for (const sep of SEPARATORS) {
        await t.store.preferences.set(`a${sep}b`, "c", { who: "left" });
        expect(await t.store.preferences.get("a", `b${sep}c`)).toBeNull();
        await t.store.preferences.set("a", `b${sep}c`, { who: "right" });
        expect((await t.store.preferences.get(`a${sep}b`, "c"))?.values).toEqual({ who: "left" });
        expect((await t.store.preferences.get("a", `b${sep}c`))?.values).toEqual({ who: "right" });
      }
      expect(await t.store.preferences.get("a", "b")).toBeNull();
      expect(await t.store.preferences.get("a", "c")).toBeNull();
    });

    it("sessions whose ids extend one another share nothing", async () => {
      const ids = ["s", "s#", "s#1", "s:1", "s{1}", "{s}", "s/1", "s#msg", "s#meta", "S", "s "];
      for (const id of ids) {
        await t.store.sessions.create({ sessionId: id, userId: `user-${id}`, state: { id } });
        await t.store.sessions.append(id, { role: "user", content: `in ${id}` });
      }
      for (const id of ids) {
        const s = await t.store.sessions.get(id, { recentMessages: 10 });
        expect(s?.state).toEqual({ id });
        expect(s?.messageCount).toBe(1);
        expect(s?.recentMessages?.map((m) => m.content)).toEqual([`in ${id}`]);
        const listed = await t.store.sessions.listByUser(`user-${id}`);
        expect(listed.items.map((x) => x.sessionId)).toEqual([id]);
      }
      await t.store.sessions.delete("s");
      for (const id of ids.slice(1)) expect((await t.store.sessions.messages(id)).items).toHaveLength(1);
    });

    it("users whose ids extend one another have separate session lists", async () => {
      await t.store.sessions.create({ sessionId: "one", userId: "u" });
      await t.store.sessions.create({ sessionId: "two", userId: "u#x" });
      await t.store.sessions.create({ sessionId: "three", userId: "u:x" });
      expect((await t.store.sessions.listByUser("u")).items.map((s) => s.sessionId)).toEqual(["one"]);
      expect((await t.store.sessions.listByUser("u#x")).items.map((s) => s.sessionId)).toEqual(["two"]);
      expect((await t.store.sessions.listByUser("u:x")).items.map((s) => s.sessionId)).toEqual(["three"]);
    });

    it("tool names that extend one another keep separate entries", async () => {
      for (const sep of SEPARATORS) {
        await t.store.toolCache.set(`a${sep}b`, { p: 1 }, "left", { ttlSeconds: 60 });
        await t.store.toolCache.set("a", { [`b${sep}`]: 1 }, "right", { ttlSeconds: 60 });
      }
      await t.store.toolCache.invalidate("a");
      for (const sep of SEPARATORS) {
        expect((await t.store.toolCache.get(`a${sep}b`, { p: 1 }))?.value).toBe("left");
        expect(await t.store.toolCache.get("a", { [`b${sep}`]: 1 })).toBeNull();
      }
    });

    it("two stores made by the factory do not see each other's records", async () => {
      const other = await options.create({ clock: t.clock.now });
      try {
        await t.store.sessions.create({ sessionId: "shared-id", userId: "shared-user" });
        await t.store.toolCache.set("tool", {}, "mine", { ttlSeconds: 60 });
        await t.store.preferences.set("u", "a", { mine: true });
        expect(await other.sessions.get("shared-id")).toBeNull();
        expect(await other.toolCache.get("tool", {})).toBeNull();
        expect(await other.preferences.get("u", "a")).toBeNull();
        expect((await other.sessions.listByUser("shared-user")).items).toEqual([]);
      } finally {
        await options.destroy?.(other);
        await other.close();
      }
    });
  });
}
