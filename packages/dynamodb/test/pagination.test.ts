import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalStore, type LocalStore } from "./local.js";

describe("query pagination past DynamoDB's 1 MB page", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("messages(), recentMessages and delete cover 3 MB of messages in one session", async () => {
    const { sessionId } = await local.store.sessions.create();
    // Random base64: it hardly compresses, so the stored items really pass 1 MB per Query page.
    const big = (i: number) => `${String(i).padStart(3, "0")}:${randomBytes(75 * 1024).toString("base64")}`;
    for (let batch = 0; batch < 3; batch++) {
      await local.store.sessions.append(
        sessionId,
        Array.from({ length: 10 }, (_, i) => ({ role: "tool" as const, content: big(batch * 10 + i) })),
      );
    }
    const pageCost = await local.counter.measure(async () => {
      const page = await local.store.sessions.messages(sessionId, { limit: 30 });
      expect(page.items.map((m) => m.content.slice(0, 3))).toEqual(
        Array.from({ length: 30 }, (_, i) => String(i).padStart(3, "0")),
      );
      expect(page.cursor).toBeNull();
    });
    // GetItem of the meta item, then Query pages of at most 1 MB (about 10 messages of 100 KB each).
    expect(pageCost.byOperation.GetItem).toBe(1);
    expect(pageCost.byOperation.Query).toBeGreaterThanOrEqual(3);

    const desc = await local.store.sessions.messages(sessionId, { limit: 25, order: "desc" });
    expect(desc.items).toHaveLength(25);
    expect(desc.items[0]?.content.slice(0, 3)).toBe("029");

    const recentCost = await local.counter.measure(async () => {
      const recent = await local.store.sessions.get(sessionId, { recentMessages: 30 });
      expect(recent?.recentMessages?.map((m) => m.content.slice(0, 3))).toEqual(
        Array.from({ length: 30 }, (_, i) => String(i).padStart(3, "0")),
      );
    });
    expect(recentCost.byOperation.Query).toBeGreaterThanOrEqual(3);

    expect(await local.store.sessions.delete(sessionId)).toBe(true);
    await local.store.sessions.create({ sessionId });
    expect((await local.store.sessions.messages(sessionId)).items).toEqual([]);
  });
});
