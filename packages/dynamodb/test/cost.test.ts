import { randomBytes } from "node:crypto";
import type { MessageInput } from "@agent-state/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalStore, type LocalStore } from "./local.js";

const THOUSAND_CHARS = "x".repeat(1_000);

function filler(count: number, from = 0): MessageInput[] {
  return Array.from({ length: count }, (_, i) => ({
    role: (from + i) % 2 === 0 ? ("user" as const) : ("assistant" as const),
    content: `filler message ${from + i} `.padEnd(200, "."),
  }));
}

async function appendMany(local: LocalStore, sessionId: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 50) {
    await local.store.sessions.append(sessionId, filler(Math.min(50, count - done), done));
  }
}

describe("cost budgets (requests and capacity as DynamoDB bills them)", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore({ region: "eu-west-1" });
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("append of one 1,000-character message costs the same at turn 1 and turn 500 (≤ 2 requests, ≤ 6 WCU)", async () => {
    const { sessionId } = await local.store.sessions.create({ userId: "u", state: { step: 1 } });
    const turn1 = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, { role: "user", content: THOUSAND_CHARS }),
    );
    await appendMany(local, sessionId, 498);
    const turn500 = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, { role: "user", content: THOUSAND_CHARS }),
    );
    expect((await local.store.sessions.get(sessionId))?.messageCount).toBe(500);
    expect(turn1.requests).toBeLessThanOrEqual(2);
    expect(turn1.writeUnits).toBeLessThanOrEqual(6);
    expect(turn500).toEqual(turn1);
  });

  it("an agent turn (get with 20 recent, append of two 1,000-character messages, update) is 3 requests, ≤ 10 WCU", async () => {
    // English-like text (not one repeated character): what compression sees in a real conversation.
    const words = [
      "the",
      "weather",
      "tomorrow",
      "in",
      "Oslo",
      "looks",
      "cold",
      "with",
      "light",
      "snow",
      "and",
    ];
    const prose = (seed: number) =>
      Array.from({ length: 400 }, (_, i) => words[(i * 7 + seed * 3 + (i >> 3)) % words.length])
        .join(" ")
        .slice(0, 1_000);
    const { sessionId } = await local.store.sessions.create({ userId: "u", state: { turn: 0 } });
    await appendMany(local, sessionId, 40);
    const turn = await local.counter.measure(async () => {
      const session = await local.store.sessions.get(sessionId, { recentMessages: 20 });
      await local.store.sessions.append(sessionId, [
        { role: "user", content: prose(1) },
        { role: "assistant", content: prose(2) },
      ]);
      await local.store.sessions.update(
        sessionId,
        { state: { turn: 1, summary: "short" } },
        { expectedVersion: session?.version ?? 1 },
      );
    });
    expect(turn.requests).toBe(3);
    expect(turn.writeUnits).toBeLessThanOrEqual(10);
    const { items } = await local.store.sessions.messages(sessionId, { order: "desc", limit: 2 });
    expect(items.map((m) => m.content)).toEqual([prose(2), prose(1)]);
  });

  it("update of a small state costs ≤ 4 WCU, the same on a long conversation", async () => {
    const { sessionId } = await local.store.sessions.create({ state: { step: 0 } });
    const early = await local.counter.measure(() =>
      local.store.sessions.update(sessionId, { state: { step: 1 } }),
    );
    await appendMany(local, sessionId, 300);
    const late = await local.counter.measure(() =>
      local.store.sessions.update(sessionId, { state: { step: 2 } }),
    );
    expect(early.requests).toBe(1);
    expect(early.writeUnits).toBeLessThanOrEqual(4);
    expect(late).toEqual(early);
  });

  it("a version conflict is one request: the stored version comes from the failed condition", async () => {
    const { sessionId } = await local.store.sessions.create();
    await local.store.sessions.update(sessionId, { state: { a: 1 } });
    const cost = await local.counter.measure(() =>
      local.store.sessions
        .update(sessionId, { state: { a: 2 } }, { expectedVersion: 1 })
        .catch((e: unknown) => e),
    );
    expect(cost.byOperation).toEqual({ UpdateItem: 1 });
  });

  it("a hit on a 40 KB cached result costs ≤ 2 requests and ≤ 2 WCU (the value is not rewritten)", async () => {
    const value = { text: "r".repeat(40 * 1024) };
    await local.store.toolCache.set("fetch", { url: "https://example.com" }, value, { ttlSeconds: 600 });
    for (const expectedHits of [1, 2]) {
      const cost = await local.counter.measure(async () => {
        const hit = await local.store.toolCache.get("fetch", { url: "https://example.com" });
        expect(hit?.hitCount).toBe(expectedHits);
      });
      expect(cost.requests).toBeLessThanOrEqual(2);
      expect(cost.writeUnits).toBeLessThanOrEqual(2);
    }
  });

  it("truncate is 1 Query + 1 TransactWriteItems; a conditional or idempotent append is 1 request, its retry 2", async () => {
    const { sessionId } = await local.store.sessions.create();
    const [a] = await local.store.sessions.append(sessionId, filler(3));
    const truncate = await local.counter.measure(() =>
      local.store.sessions.truncate(sessionId, { removeLast: 2 }),
    );
    expect(truncate.byOperation).toEqual({ Query: 1, TransactWriteItems: 1 });
    const conflict = await local.counter.measure(() =>
      local.store.sessions
        .append(sessionId, { role: "user", content: "x" }, { expectedLastMessageId: null })
        .catch((e: unknown) => e),
    );
    expect(conflict.byOperation).toEqual({ TransactWriteItems: 1 });
    const input = { role: "user" as const, content: THOUSAND_CHARS };
    const first = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, input, {
        idempotencyKey: "turn-1",
        expectedLastMessageId: a?.id ?? "",
      }),
    );
    expect(first.byOperation).toEqual({ TransactWriteItems: 1 });
    // The message, the meta item and the small idempotency item, at 2× for the transaction.
    expect(first.writeUnits).toBeLessThanOrEqual(8);
    const retry = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, input, { idempotencyKey: "turn-1" }),
    );
    expect(retry.byOperation).toEqual({ TransactWriteItems: 1, Query: 1 });
  });

  it("append replacing the last 2 messages with 2 is 1 Query + 1 TransactWriteItems; afterMessageId adds 1 GetItem", async () => {
    const { sessionId } = await local.store.sessions.create();
    const all = await local.store.sessions.append(sessionId, filler(6));
    const plain = await local.counter.measure(() => local.store.sessions.append(sessionId, filler(2, 6)));
    const removeLast = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, filler(2, 8), { replace: { removeLast: 2 } }),
    );
    expect(removeLast.byOperation).toEqual({ Query: 1, TransactWriteItems: 1 });
    const after = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, filler(2, 10), {
        replace: { afterMessageId: all[5]?.id ?? "" },
      }),
    );
    expect(after.byOperation).toEqual({ GetItem: 1, Query: 1, TransactWriteItems: 1 });
    expect((await local.store.sessions.get(sessionId))?.messageCount).toBe(8);
    // The 2 Deletes add 2 × 2 WCU (small items, at 2× in a transaction) to the plain append of 2.
    expect(removeLast.writeUnits).toBe(plain.writeUnits + 4);
    expect(after.writeUnits).toBe(removeLast.writeUnits);
    console.info(
      `replace 2 with 2: removeLast ${removeLast.requests} requests ${removeLast.writeUnits} WCU ${removeLast.readUnits} RCU; ` +
        `afterMessageId ${after.requests} requests ${after.writeUnits} WCU ${after.readUnits} RCU; plain append of 2: ${plain.writeUnits} WCU`,
    );
  });

  it("a 2 MB message: chunks in 1 BatchWriteItem, then the 1 TransactWriteItems; read back in 1 Query + 1 BatchGetItem", async () => {
    const { sessionId } = await local.store.sessions.create();
    const content = randomBytes(1536 * 1024).toString("base64"); // 2 MB of text that hardly compresses
    const append = await local.counter.measure(() =>
      local.store.sessions.append(sessionId, { role: "tool", content }),
    );
    expect(append.byOperation).toEqual({ BatchWriteItem: 1, TransactWriteItems: 1 });
    let read: string | undefined;
    const get = await local.counter.measure(async () => {
      read = (await local.store.sessions.get(sessionId, { recentMessages: 1 }))?.recentMessages?.[0]?.content;
    });
    expect(read === content).toBe(true);
    expect(get.byOperation).toEqual({ Query: 1, BatchGetItem: 1 });
    console.info(
      `message 2 MB: append ${append.requests} requests ${append.writeUnits} WCU; get ${get.requests} requests ${get.readUnits} RCU`,
    );
  });

  it("10,000 messages in one session: get with 20 recent is 1 request; delete is ⌈n/25⌉ batch writes + query pages", async () => {
    const { sessionId } = await local.store.sessions.create({ userId: "long" });
    await appendMany(local, sessionId, 10_000);
    const getCost = await local.counter.measure(() =>
      local.store.sessions.get(sessionId, { recentMessages: 20 }),
    );
    const recent = await local.store.sessions.get(sessionId, { recentMessages: 20 });
    expect(getCost.byOperation).toEqual({ Query: 1 });
    expect(recent?.messageCount).toBe(10_000);
    expect(recent?.recentMessages?.map((m) => m.content.split(" ")[2])).toEqual(
      Array.from({ length: 20 }, (_, i) => String(9_980 + i)),
    );

    const deleteCost = await local.counter.measure(async () => {
      expect(await local.store.sessions.delete(sessionId)).toBe(true);
    });
    const { Query = 0, ...others } = deleteCost.byOperation;
    expect(others).toEqual({ DeleteItem: 1, BatchWriteItem: 400 });
    // ~10,000 items of ~300 bytes: a handful of 1 MB pages, never one call per item.
    expect(Query).toBeGreaterThanOrEqual(2);
    expect(Query).toBeLessThanOrEqual(6);
    expect(await local.store.sessions.get(sessionId)).toBeNull();
    await local.store.sessions.create({ sessionId });
    expect(await local.store.sessions.messages(sessionId)).toEqual({ items: [], cursor: null });
  }, 300_000);
});
