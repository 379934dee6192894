import { describe, expect, it } from "vitest";
import type { Message, MessageInput } from "../types.js";
import {
  codeOf,
  readAllPages,
  SLOW_TEST_TIMEOUT_MS,
  type StateStoreContractOptions,
  turns,
  useStore,
} from "./harness.js";

function userMessages(count: number, prefix = "m"): MessageInput[] {
  return turns(count, prefix);
}

/** Appending and reading messages: ids, order, pagination, recentMessages, delete of long sessions. */
export function describeMessagesContract(options: StateStoreContractOptions): void {
  describe("messages", () => {
    const t = useStore(options);

    async function appendInChunks(sessionId: string, inputs: MessageInput[], chunk = 50): Promise<Message[]> {
      const out: Message[] = [];
      for (let i = 0; i < inputs.length; i += chunk) {
        out.push(...(await t.store.sessions.append(sessionId, inputs.slice(i, i + chunk))));
      }
      return out;
    }

    it("append assigns ids and timestamps, keeps given timestamps and metadata, and counts messages", async () => {
      const { sessionId } = await t.store.sessions.create();
      const now = t.clock.now();
      const [a] = await t.store.sessions.append(sessionId, { role: "user", content: "hello" });
      expect(a).toEqual({ id: a!.id, role: "user", content: "hello", timestamp: now });
      expect(typeof a!.id).toBe("string");
      const [b, c] = await t.store.sessions.append(sessionId, [
        {
          role: "assistant",
          content: "",
          timestamp: 1_000,
          metadata: { model: "m-1", tokens: 12, tags: ["x"] },
        },
        { role: "tool", content: 'ünïcødé ✓ 🚀 "quoted" \\ back' },
      ]);
      expect(b).toMatchObject({
        role: "assistant",
        content: "",
        timestamp: 1_000,
        metadata: { model: "m-1", tokens: 12, tags: ["x"] },
      });
      expect(c).toMatchObject({ role: "tool", content: 'ünïcødé ✓ 🚀 "quoted" \\ back', timestamp: now });
      expect(c).not.toHaveProperty("metadata");
      const session = await t.store.sessions.get(sessionId);
      expect(session?.messageCount).toBe(3);
      expect((await t.store.sessions.messages(sessionId)).items).toEqual([a, b, c]);
    });

    it("append slides expiry and lastActiveAt, and does not change the version", async () => {
      const created = await t.store.sessions.create({ ttlSeconds: 100 });
      t.clock.advance(50_000);
      await t.store.sessions.append(created.sessionId, { role: "user", content: "x" });
      const after = await t.store.sessions.get(created.sessionId);
      expect(after).toMatchObject({
        lastActiveAt: t.clock.now(),
        expiresAt: t.clock.now() + 100_000,
        version: 1,
        messageCount: 1,
      });
    });

    it("ids are unique and sort (as strings) in append order, within and across appends", async () => {
      const { sessionId } = await t.store.sessions.create();
      const appended: Message[] = [];
      for (let i = 0; i < 5; i++)
        appended.push(...(await t.store.sessions.append(sessionId, userMessages(7, `b${i}-`))));
      const ids = appended.map((m) => m.id);
      expect(new Set(ids).size).toBe(35);
      expect([...ids].sort()).toEqual(ids);
      const { items } = await t.store.sessions.messages(sessionId, { limit: 100 });
      expect(items).toEqual(appended);
    });

    it("pages in both orders with odd page sizes: no gaps, no duplicates, last cursor null", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await appendInChunks(sessionId, userMessages(53), 20);
      for (const limit of [1, 3, 7, 10, 52, 53, 54, 1000]) {
        const asc = await readAllPages((cursor) =>
          t.store.sessions.messages(sessionId, cursor === undefined ? { limit } : { limit, cursor }),
        );
        expect(asc.items).toEqual(all);
        expect(asc.pages).toBeGreaterThanOrEqual(Math.ceil(53 / limit));
        expect(asc.pages).toBeLessThanOrEqual(Math.ceil(53 / limit) + 1);
        const desc = await readAllPages((cursor) =>
          t.store.sessions.messages(
            sessionId,
            cursor === undefined ? { limit, order: "desc" } : { limit, order: "desc", cursor },
          ),
        );
        expect(desc.items).toEqual([...all].reverse());
      }
      const firstPage = await t.store.sessions.messages(sessionId, { limit: 10 });
      expect(firstPage.items).toEqual(all.slice(0, 10));
      expect(firstPage.cursor).not.toBeNull();
    });

    it("a page never exceeds its limit, and the default limit returns a non-empty first page", async () => {
      const { sessionId } = await t.store.sessions.create();
      await appendInChunks(sessionId, userMessages(30));
      const page = await t.store.sessions.messages(sessionId, { limit: 4 });
      expect(page.items).toHaveLength(4);
      const byDefault = await t.store.sessions.messages(sessionId);
      expect(byDefault.items.length).toBeGreaterThan(0);
      expect(byDefault.items.length).toBeLessThanOrEqual(1000);
    });

    it("an ascending cursor stays valid while messages are appended, and the next pages include them", async () => {
      const { sessionId } = await t.store.sessions.create();
      const first = await t.store.sessions.append(sessionId, userMessages(5, "early"));
      const page1 = await t.store.sessions.messages(sessionId, { limit: 3 });
      expect(page1.items).toEqual(first.slice(0, 3));
      const later = await t.store.sessions.append(sessionId, userMessages(4, "late"));
      const rest = await readAllPages((cursor) =>
        t.store.sessions.messages(sessionId, { limit: 3, cursor: cursor ?? page1.cursor! }),
      );
      expect(rest.items).toEqual([...first.slice(3), ...later]);
    });

    it("an empty session has an empty last page", async () => {
      const { sessionId } = await t.store.sessions.create();
      expect(await t.store.sessions.messages(sessionId)).toEqual({ items: [], cursor: null });
      expect(await t.store.sessions.messages(sessionId, { order: "desc" })).toEqual({
        items: [],
        cursor: null,
      });
    });

    it("recentMessages gives the last n oldest first, or all of them when n exceeds the count", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await appendInChunks(sessionId, userMessages(25));
      const recent = await t.store.sessions.get(sessionId, { recentMessages: 20 });
      expect(recent?.recentMessages).toEqual(all.slice(5));
      expect(recent?.messageCount).toBe(25);
      const one = await t.store.sessions.get(sessionId, { recentMessages: 1 });
      expect(one?.recentMessages).toEqual(all.slice(24));
      const more = await t.store.sessions.get(sessionId, { recentMessages: 100 });
      expect(more?.recentMessages).toEqual(all);
    });

    it("cursors are bound to their listing: another session's or another order's cursor is rejected", async () => {
      const a = await t.store.sessions.create();
      const b = await t.store.sessions.create();
      await t.store.sessions.append(a.sessionId, userMessages(5));
      await t.store.sessions.append(b.sessionId, userMessages(5));
      const pageA = await t.store.sessions.messages(a.sessionId, { limit: 2 });
      expect(pageA.cursor).not.toBeNull();
      expect(await codeOf(t.store.sessions.messages(b.sessionId, { limit: 2, cursor: pageA.cursor! }))).toBe(
        "VALIDATION",
      );
      expect(
        await codeOf(
          t.store.sessions.messages(a.sessionId, { limit: 2, cursor: pageA.cursor!, order: "desc" }),
        ),
      ).toBe("VALIDATION");
      const tampered = `${pageA.cursor!.slice(0, -2)}${pageA.cursor!.endsWith("A") ? "BB" : "AA"}`;
      expect(await codeOf(t.store.sessions.messages(a.sessionId, { limit: 2, cursor: tampered }))).toBe(
        "VALIDATION",
      );
    });

    it("append and messages on a missing session throw NOT_FOUND", async () => {
      expect(await codeOf(t.store.sessions.append("missing", { role: "user", content: "x" }))).toBe(
        "NOT_FOUND",
      );
      expect(await codeOf(t.store.sessions.messages("missing"))).toBe("NOT_FOUND");
      expect(await t.store.sessions.get("missing")).toBeNull();
    });

    it("long content and rich metadata round-trip exactly", async () => {
      const { sessionId } = await t.store.sessions.create();
      const content = "lorem ipsum ✓ ".repeat(2_000);
      const metadata = {
        toolCalls: [{ name: "search", args: { q: "x", n: 3, exact: false, filter: null } }],
        score: -0.125,
        big: 9_007_199_254_740_991,
        tiny: 5e-324,
        empty: {},
        emptyList: [],
        "key with spaces": "ok",
        "": "empty key",
      };
      const [m] = await t.store.sessions.append(sessionId, { role: "assistant", content, metadata });
      const [stored] = (await t.store.sessions.messages(sessionId)).items;
      expect(stored).toEqual(m);
      expect(stored?.content).toBe(content);
      expect(stored?.metadata).toEqual(metadata);
    });

    it(
      "delete removes thousands of messages, and the id reused afterwards starts empty",
      async () => {
        const { sessionId } = await t.store.sessions.create({ sessionId: "long-chat" });
        await appendInChunks(sessionId, userMessages(2_000));
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2_000);
        expect(await t.store.sessions.delete(sessionId)).toBe(true);
        expect(await t.store.sessions.get(sessionId)).toBeNull();
        expect(await codeOf(t.store.sessions.messages(sessionId))).toBe("NOT_FOUND");
        await t.store.sessions.create({ sessionId });
        expect(await t.store.sessions.messages(sessionId, { limit: 1000 })).toEqual({
          items: [],
          cursor: null,
        });
        expect((await t.store.sessions.get(sessionId, { recentMessages: 5 }))?.recentMessages).toEqual([]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
