import { randomBytes } from "node:crypto";
import { toEpochSeconds } from "@agent-state/core";
import { ManualClock } from "@agent-state/core/testing";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalStore, type LocalStore, partitionItems } from "./local.js";

describe("message items' ttl in a session that stays active", () => {
  const clock = new ManualClock();
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore({ clock: clock.now, messageTtlSeconds: 1_000 });
  });
  afterEach(async () => {
    await local.dispose();
  });

  async function storedTtls(sessionId: string): Promise<{ messages: number[]; floor: number }> {
    const items = await partitionItems(local, local.tables.sessions, `session#${sessionId}`);
    const meta = items.find((item) => item.sk === "meta");
    return {
      messages: items.filter((item) => item.sk !== "meta").map((item) => Number(item.ttl)),
      floor: Number(meta?.messagesTtl),
    };
  }

  it("is rewritten once, in the background, before the sweep could take messages of a live session", async () => {
    const { sessionId } = await local.store.sessions.create({ ttlSeconds: 300 });
    const start = toEpochSeconds(clock.now());
    await local.store.sessions.append(sessionId, { role: "user", content: "first" });
    expect(await storedTtls(sessionId)).toEqual({ messages: [start + 1_000], floor: start + 1_000 });

    // Active every 250 s. Until the floor is within ttl (300 s) + a tenth of messageTtlSeconds (100 s), reads
    // cost what they always do.
    for (let step = 1; step <= 2; step++) {
      clock.advanceSeconds(250);
      await local.store.sessions.append(sessionId, { role: "user", content: `step ${step}` });
      const cost = await local.counter.measure(() =>
        local.store.sessions.get(sessionId, { recentMessages: 20 }),
      );
      expect(cost.requests).toBe(1);
    }
    clock.advanceSeconds(150); // now start + 650: the first message's ttl (start + 1000) is due
    await local.store.sessions.get(sessionId, { recentMessages: 20 });
    await local.store.close(); // awaits the background refresh
    const refreshed = start + 650 + 1_000;
    const after = await storedTtls(sessionId);
    expect(after.floor).toBe(refreshed);
    expect(after.messages.every((ttl) => ttl >= refreshed)).toBe(true);
    expect(after.messages).toHaveLength(3);

    const cost = await local.counter.measure(() =>
      local.store.sessions.get(sessionId, { recentMessages: 20 }),
    );
    expect(cost.requests).toBe(1);
    expect(
      (await local.store.sessions.get(sessionId, { recentMessages: 20 }))?.recentMessages?.map(
        (m) => m.content,
      ),
    ).toEqual(["first", "step 1", "step 2"]);
  });

  it("the chunks of a large state expire like messages and are renewed with them; delete removes them", async () => {
    // Random text: it does not compress below the inline limit, so the state goes to chunks.
    const state = { big: randomBytes(600 * 1024).toString("base64url") };
    const { sessionId } = await local.store.sessions.create({ ttlSeconds: 300, state });
    const start = toEpochSeconds(clock.now());
    const chunkTtls = async () => {
      const doc = DynamoDBDocument.from(local.low);
      const { Items = [] } = await doc.query({
        TableName: local.tables.sessions,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :chunks)",
        ExpressionAttributeValues: { ":pk": `session#${sessionId}`, ":chunks": "c#state" },
        ConsistentRead: true,
      });
      return Items.map((item) => Number(item.ttl));
    };
    expect(await chunkTtls()).toEqual([start + 1_000, start + 1_000]);
    expect((await storedTtls(sessionId)).floor).toBe(start + 1_000);
    // Kept active by appends alone (the state is never rewritten) until the floor is due.
    for (let step = 1; step <= 3; step++) {
      clock.advanceSeconds(250);
      await local.store.sessions.append(sessionId, { role: "user", content: `step ${step}` });
    }
    await local.store.sessions.get(sessionId);
    await local.store.close(); // awaits the background refresh
    const renewed = await chunkTtls();
    expect(renewed).toHaveLength(2);
    expect(renewed.every((ttl) => ttl >= start + 750 + 1_000)).toBe(true);
    expect((await local.store.sessions.get(sessionId))?.state).toEqual(state);
    expect(await local.store.sessions.delete(sessionId)).toBe(true);
    expect(await chunkTtls()).toEqual([]);
  });
});
