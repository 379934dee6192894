import { describe, expect, it } from "vitest";
import type { Session } from "../types.js";
import { codeOf, readAllPages, type StateStoreContractOptions, useStore } from "./harness.js";

const HOUR_MS = 3600 * 1000;

/** Session lifecycle: create, get, update, delete, listByUser, returned copies. */
export function describeSessionsContract(options: StateStoreContractOptions): void {
  describe("sessions", () => {
    const t = useStore(options);

    it("creates a session with defaults: version 1, no messages, empty state, 1 hour sliding expiry", async () => {
      const now = t.clock.now();
      const session = await t.store.sessions.create();
      expect(typeof session.sessionId).toBe("string");
      expect(session.sessionId.length).toBeGreaterThan(0);
      expect(session).toMatchObject({
        userId: null,
        agentId: null,
        state: {},
        version: 1,
        messageCount: 0,
        lastToolCall: null,
        createdAt: now,
        lastActiveAt: now,
        expiresAt: now + HOUR_MS,
      });
      expect(session.lastActiveRegion === null || typeof session.lastActiveRegion === "string").toBe(true);
      expect(await t.store.sessions.get(session.sessionId)).toEqual(session);
    });

    it("generates distinct ids", async () => {
      const sessions = await Promise.all(Array.from({ length: 10 }, () => t.store.sessions.create()));
      expect(new Set(sessions.map((s) => s.sessionId)).size).toBe(10);
    });

    it("creates with a given id, user, agent, state and ttl", async () => {
      const now = t.clock.now();
      const state = { step: 1, plan: ["search", "summarize"], nested: { ok: true, none: null } };
      const session = await t.store.sessions.create({
        sessionId: "chat-1",
        userId: "user-1",
        agentId: "agent-1",
        state,
        ttlSeconds: 120,
      });
      expect(session).toMatchObject({
        sessionId: "chat-1",
        userId: "user-1",
        agentId: "agent-1",
        state,
        version: 1,
        expiresAt: now + 120_000,
      });
      expect(await t.store.sessions.get("chat-1")).toEqual(session);
    });

    it("rejects a second create of a live id with ALREADY_EXISTS and leaves the first untouched", async () => {
      const first = await t.store.sessions.create({ sessionId: "dup", state: { a: 1 } });
      await t.store.sessions.append("dup", { role: "user", content: "hi" });
      expect(await codeOf(t.store.sessions.create({ sessionId: "dup", state: { b: 2 } }))).toBe(
        "ALREADY_EXISTS",
      );
      const stored = await t.store.sessions.get("dup");
      expect(stored?.state).toEqual(first.state);
      expect(stored?.messageCount).toBe(1);
    });

    it("returns null for a session that never existed", async () => {
      expect(await t.store.sessions.get("nope")).toBeNull();
    });

    it("omits recentMessages unless asked, and gives [] for recentMessages 0", async () => {
      const { sessionId } = await t.store.sessions.create();
      await t.store.sessions.append(sessionId, { role: "user", content: "hello" });
      const plain = await t.store.sessions.get(sessionId);
      expect(plain).not.toHaveProperty("recentMessages");
      const none = await t.store.sessions.get(sessionId, { recentMessages: 0 });
      expect(none?.recentMessages).toEqual([]);
    });

    it("update replaces the state, sets lastToolCall, adds 1 to the version and slides expiry", async () => {
      const created = await t.store.sessions.create({ state: { a: 1, b: 2 } });
      t.clock.advance(10_000);
      const now = t.clock.now();
      const updated = await t.store.sessions.update(created.sessionId, {
        state: { c: 3 },
        lastToolCall: "web_search",
      });
      expect(updated).toMatchObject({
        sessionId: created.sessionId,
        state: { c: 3 },
        lastToolCall: "web_search",
        version: 2,
        createdAt: created.createdAt,
        lastActiveAt: now,
        expiresAt: now + HOUR_MS,
        messageCount: 0,
      });
      expect(await t.store.sessions.get(created.sessionId)).toEqual(updated);
    });

    it("update leaves absent fields as they are; lastToolCall null clears it", async () => {
      const created = await t.store.sessions.create({ state: { keep: true } });
      await t.store.sessions.update(created.sessionId, { lastToolCall: "calc" });
      const touched = await t.store.sessions.update(created.sessionId, {});
      expect(touched).toMatchObject({ state: { keep: true }, lastToolCall: "calc", version: 3 });
      const cleared = await t.store.sessions.update(created.sessionId, { lastToolCall: null });
      expect(cleared).toMatchObject({ state: { keep: true }, lastToolCall: null, version: 4 });
    });

    it("update of a missing session throws NOT_FOUND and creates nothing", async () => {
      expect(await codeOf(t.store.sessions.update("ghost", { state: { a: 1 } }))).toBe("NOT_FOUND");
      expect(await t.store.sessions.get("ghost")).toBeNull();
    });

    it("delete removes the session: true once, then false; get null, messages and append NOT_FOUND", async () => {
      const { sessionId } = await t.store.sessions.create({ userId: "u-del" });
      await t.store.sessions.append(sessionId, [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
      ]);
      expect(await t.store.sessions.delete(sessionId)).toBe(true);
      expect(await t.store.sessions.delete(sessionId)).toBe(false);
      expect(await t.store.sessions.get(sessionId)).toBeNull();
      expect(await codeOf(t.store.sessions.messages(sessionId))).toBe("NOT_FOUND");
      expect(await codeOf(t.store.sessions.append(sessionId, { role: "user", content: "c" }))).toBe(
        "NOT_FOUND",
      );
      expect(await codeOf(t.store.sessions.update(sessionId, {}))).toBe("NOT_FOUND");
      expect((await t.store.sessions.listByUser("u-del")).items).toEqual([]);
    });

    it("delete of a session that never existed returns false", async () => {
      expect(await t.store.sessions.delete("never")).toBe(false);
    });

    it("a session id reused after delete starts empty", async () => {
      await t.store.sessions.create({ sessionId: "reuse", userId: "u1", state: { old: true } });
      await t.store.sessions.append("reuse", [
        { role: "user", content: "old 1" },
        { role: "assistant", content: "old 2" },
      ]);
      await t.store.sessions.update("reuse", { state: { old: "still" }, lastToolCall: "x" });
      await t.store.sessions.delete("reuse");
      const again = await t.store.sessions.create({ sessionId: "reuse", userId: "u2" });
      expect(again).toMatchObject({
        version: 1,
        messageCount: 0,
        state: {},
        lastToolCall: null,
        userId: "u2",
      });
      expect((await t.store.sessions.messages("reuse")).items).toEqual([]);
      expect((await t.store.sessions.get("reuse", { recentMessages: 10 }))?.recentMessages).toEqual([]);
      const [fresh] = await t.store.sessions.append("reuse", { role: "user", content: "new" });
      expect((await t.store.sessions.messages("reuse")).items).toEqual([fresh]);
      expect((await t.store.sessions.listByUser("u1")).items).toEqual([]);
    });

    it("returned objects are copies: mutating them or the inputs changes nothing stored", async () => {
      const state = { list: [1, 2], nested: { x: 1 } };
      const created = await t.store.sessions.create({ sessionId: "copy", state });
      state.list.push(3);
      state.nested.x = 99;
      created.state.mutated = true;
      (created.state.list as number[]).push(4);
      const got = await t.store.sessions.get("copy");
      expect(got?.state).toEqual({ list: [1, 2], nested: { x: 1 } });
      (got as Session).version = 42;
      (got as Session).state.other = 1;
      const metadata = { tags: ["a"] };
      const [message] = await t.store.sessions.append("copy", { role: "user", content: "m", metadata });
      metadata.tags.push("b");
      message!.content = "changed";
      (message!.metadata!.tags as string[]).push("c");
      const again = await t.store.sessions.get("copy", { recentMessages: 1 });
      expect(again?.version).toBe(1);
      expect(again?.state).toEqual({ list: [1, 2], nested: { x: 1 } });
      expect(again?.recentMessages?.[0]).toMatchObject({ content: "m", metadata: { tags: ["a"] } });
      again!.recentMessages![0]!.content = "changed again";
      const page = await t.store.sessions.messages("copy");
      expect(page.items[0]?.content).toBe("m");
    });

    it("listByUser returns exactly the user's live sessions, paged without gaps or duplicates", async () => {
      const mine = new Set<string>();
      for (let i = 0; i < 11; i++) {
        const s = await t.store.sessions.create({ userId: "lister", agentId: `agent-${i % 3}` });
        mine.add(s.sessionId);
      }
      await t.store.sessions.create({ userId: "someone-else" });
      await t.store.sessions.create();
      const deleted = await t.store.sessions.create({ userId: "lister" });
      await t.store.sessions.delete(deleted.sessionId);

      for (const limit of [1, 3, 4, 11, 50]) {
        const { items, pages } = await readAllPages((cursor) =>
          t.store.sessions.listByUser("lister", cursor === undefined ? { limit } : { limit, cursor }),
        );
        const ids = items.map((s) => s.sessionId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids)).toEqual(mine);
        expect(pages).toBeLessThanOrEqual(Math.ceil(11 / limit) + 1);
        for (const s of items) expect(s.userId).toBe("lister");
      }
      const first = await t.store.sessions.listByUser("lister", { limit: 5 });
      expect(first.items.length).toBe(5);
      expect(first.cursor).not.toBeNull();
    });

    it("listByUser reflects updates: listed sessions carry their current fields", async () => {
      const s = await t.store.sessions.create({ userId: "fresh-fields" });
      await t.store.sessions.update(s.sessionId, { state: { n: 1 } });
      const page = await t.store.sessions.listByUser("fresh-fields");
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ sessionId: s.sessionId, version: 2, state: { n: 1 } });
    });

    it("listByUser of an unknown user is an empty last page", async () => {
      expect(await t.store.sessions.listByUser("nobody")).toEqual({ items: [], cursor: null });
    });

    it("stats counts live sessions and cache entries (exactly, unless it says approximate)", async () => {
      await t.store.sessions.create();
      await t.store.sessions.create();
      const gone = await t.store.sessions.create();
      await t.store.sessions.delete(gone.sessionId);
      await t.store.toolCache.set("tool", { q: 1 }, "r1", { ttlSeconds: 60 });
      await t.store.toolCache.set("tool", { q: 2 }, "r2", { ttlSeconds: 60 });
      await t.store.toolCache.set("tool", { q: 2 }, "r2 again", { ttlSeconds: 60 });
      const stats = await t.store.stats();
      expect(typeof stats.approximate).toBe("boolean");
      if (stats.approximate) {
        expect(stats.activeSessions).toBeGreaterThanOrEqual(0);
        expect(stats.cacheEntries).toBeGreaterThanOrEqual(0);
      } else {
        expect(stats).toEqual({ activeSessions: 2, cacheEntries: 2, approximate: false });
      }
    });
  });
}
