import { describe, expect, it } from "vitest";
import { codeOf, type StateStoreContractOptions, useStore } from "./harness.js";

const DAY_S = 24 * 3600;

/** Expiry by the injected clock: nothing expired is returned, counted or updated; sliding windows. */
export function describeExpiryContract(options: StateStoreContractOptions): void {
  describe("expiry", () => {
    const t = useStore(options);

    it("a session is live until its expiresAt and gone from then on", async () => {
      const s = await t.store.sessions.create({ ttlSeconds: 60, userId: "exp-user" });
      t.clock.advance(59_999);
      expect(await t.store.sessions.get(s.sessionId)).not.toBeNull();
      t.clock.advance(1);
      expect(await t.store.sessions.get(s.sessionId)).toBeNull();
      expect(await t.store.sessions.get(s.sessionId, { recentMessages: 5 })).toBeNull();
      expect((await t.store.sessions.listByUser("exp-user")).items).toEqual([]);
    });

    it("the default session ttl is one hour", async () => {
      const s = await t.store.sessions.create();
      t.clock.advanceSeconds(3599);
      expect(await t.store.sessions.get(s.sessionId)).not.toBeNull();
      t.clock.advanceSeconds(1);
      expect(await t.store.sessions.get(s.sessionId)).toBeNull();
    });

    it("an expired session is never updated, appended to, paged or resurrected", async () => {
      const s = await t.store.sessions.create({ ttlSeconds: 10 });
      await t.store.sessions.append(s.sessionId, { role: "user", content: "before" });
      t.clock.advanceSeconds(10);
      expect(await codeOf(t.store.sessions.update(s.sessionId, { state: { a: 1 } }))).toBe("NOT_FOUND");
      expect(await codeOf(t.store.sessions.update(s.sessionId, {}, { expectedVersion: 1 }))).toBe(
        "NOT_FOUND",
      );
      expect(await codeOf(t.store.sessions.append(s.sessionId, { role: "user", content: "late" }))).toBe(
        "NOT_FOUND",
      );
      expect(await codeOf(t.store.sessions.messages(s.sessionId))).toBe("NOT_FOUND");
      expect(await t.store.sessions.get(s.sessionId)).toBeNull();
      expect(await t.store.sessions.delete(s.sessionId)).toBe(false);
    });

    it("a session that stays active never loses messages (sliding expiry)", async () => {
      const s = await t.store.sessions.create({ ttlSeconds: 3600 });
      for (let turn = 0; turn < 6; turn++) {
        t.clock.advanceSeconds(3000);
        await t.store.sessions.append(s.sessionId, { role: "user", content: `turn ${turn}` });
        if (turn % 2 === 1) await t.store.sessions.update(s.sessionId, { state: { turn } });
      }
      t.clock.advanceSeconds(3599);
      const live = await t.store.sessions.get(s.sessionId, { recentMessages: 10 });
      expect(live?.messageCount).toBe(6);
      expect(live?.recentMessages?.map((m) => m.content)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `turn ${i}`));
      expect(live?.expiresAt).toBe(t.clock.now() + 1000);
    });

    it("update slides expiry by the session's default ttl", async () => {
      const s = await t.store.sessions.create();
      t.clock.advanceSeconds(3000);
      const updated = await t.store.sessions.update(s.sessionId, { state: { x: 1 } });
      expect(updated.expiresAt).toBe(t.clock.now() + 3600_000);
      t.clock.advanceSeconds(3000);
      expect(await t.store.sessions.get(s.sessionId)).not.toBeNull();
    });

    it("an id reused after expiry starts empty: no state, messages or version of the old session", async () => {
      await t.store.sessions.create({
        sessionId: "phoenix",
        ttlSeconds: 60,
        state: { old: 1 },
        userId: "p-user",
      });
      await t.store.sessions.append("phoenix", [
        { role: "user", content: "old-1" },
        { role: "assistant", content: "old-2" },
      ]);
      await t.store.sessions.update("phoenix", { lastToolCall: "old-tool" });
      t.clock.advanceSeconds(61);
      const reborn = await t.store.sessions.create({ sessionId: "phoenix" });
      expect(reborn).toMatchObject({
        version: 1,
        messageCount: 0,
        state: {},
        lastToolCall: null,
        userId: null,
      });
      expect(await t.store.sessions.messages("phoenix")).toEqual({ items: [], cursor: null });
      await t.store.sessions.append("phoenix", { role: "user", content: "new" });
      const got = await t.store.sessions.get("phoenix", { recentMessages: 10 });
      expect(got?.recentMessages?.map((m) => m.content)).toEqual(["new"]);
      expect(got?.messageCount).toBe(1);
      expect((await t.store.sessions.listByUser("p-user")).items).toEqual([]);
    });

    it("expired sessions and cache entries are not counted by exact stats", async () => {
      await t.store.sessions.create({ ttlSeconds: 10 });
      await t.store.sessions.create({ ttlSeconds: 1000 });
      await t.store.toolCache.set("t", { a: 1 }, 1, { ttlSeconds: 10 });
      await t.store.toolCache.set("t", { a: 2 }, 2, { ttlSeconds: 1000 });
      t.clock.advanceSeconds(10);
      const stats = await t.store.stats();
      if (!stats.approximate)
        expect(stats).toEqual({ activeSessions: 1, cacheEntries: 1, approximate: false });
    });

    it("a cache entry is served until expiresAt, then never (and an expired hit is not counted)", async () => {
      const now = t.clock.now();
      await t.store.toolCache.set("fx", { pair: "EURUSD" }, 1.08, { ttlSeconds: 300 });
      t.clock.advanceSeconds(299);
      expect(await t.store.toolCache.get("fx", { pair: "EURUSD" })).toEqual({
        value: 1.08,
        hitCount: 1,
        cachedAt: now,
        expiresAt: now + 300_000,
      });
      t.clock.advanceSeconds(1);
      expect(await t.store.toolCache.get("fx", { pair: "EURUSD" })).toBeNull();
      await t.store.toolCache.set("fx", { pair: "EURUSD" }, 1.09, { ttlSeconds: 300 });
      expect(await t.store.toolCache.get("fx", { pair: "EURUSD" })).toMatchObject({
        value: 1.09,
        hitCount: 1,
      });
    });

    it("preferences expire after 7 days by default, slide on set and patch, and an expired record patched starts empty", async () => {
      const created = await t.store.preferences.set("u", "a", { theme: "dark", lang: "en" });
      expect(created.expiresAt).toBe(t.clock.now() + 7 * DAY_S * 1000);
      t.clock.advanceSeconds(6 * DAY_S);
      const patched = await t.store.preferences.patch("u", "a", { lang: "fr" });
      expect(patched.expiresAt).toBe(t.clock.now() + 7 * DAY_S * 1000);
      t.clock.advanceSeconds(6 * DAY_S);
      expect((await t.store.preferences.get("u", "a"))?.values).toEqual({ theme: "dark", lang: "fr" });
      t.clock.advanceSeconds(DAY_S);
      expect(await t.store.preferences.get("u", "a")).toBeNull();
      expect(await t.store.preferences.delete("u", "a")).toBe(false);
      const reborn = await t.store.preferences.patch("u", "a", { tz: "UTC" });
      expect(reborn).toMatchObject({ values: { tz: "UTC" }, version: 1 });
    });

    it("preferences honour a per-call ttl", async () => {
      await t.store.preferences.set("u", "short", { a: 1 }, { ttlSeconds: 30 });
      t.clock.advanceSeconds(30);
      expect(await t.store.preferences.get("u", "short")).toBeNull();
    });
  });
}
