import { randomBytes } from "node:crypto";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalStore, type LocalStore } from "./local.js";

const say = (content: string) => ({ role: "user" as const, content });

describe("truncate, conditional and idempotent appends, large messages on DynamoDB Local", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("truncate removes the newest messages atomically; later ids sort after the removed ones", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const appended = await sessions.append(sessionId, ["a", "b", "c", "d"].map(say));
    const removed = await sessions.truncate(sessionId, { removeLast: 2 });
    expect(removed.map((m) => m.content)).toEqual(["c", "d"]);
    expect((await sessions.get(sessionId))?.messageCount).toBe(2);
    const [e] = await sessions.append(sessionId, say("e"));
    expect(e && e.id > (appended[3]?.id ?? "")).toBe(true);
    expect((await sessions.messages(sessionId)).items.map((m) => m.content)).toEqual(["a", "b", "e"]);
    const afterA = await sessions.truncate(sessionId, { afterMessageId: appended[0]?.id ?? "" });
    expect(afterA.map((m) => m.content)).toEqual(["b", "e"]);
    expect(await sessions.truncate(sessionId, { removeLast: 5 })).toHaveLength(1);
    expect((await sessions.get(sessionId))?.messageCount).toBe(0);
    await expect(sessions.truncate(sessionId, { afterMessageId: "nope" })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(sessions.truncate("missing", { removeLast: 1 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("truncate refuses to remove more than 99 and removes nothing", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const first = await sessions.append(sessionId, say("keep"));
    for (let i = 0; i < 2; i++)
      await sessions.append(
        sessionId,
        Array.from({ length: 50 }, (_, j) => say(`${i}-${j}`)),
      );
    await expect(sessions.truncate(sessionId, { afterMessageId: first[0]?.id ?? "" })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    expect((await sessions.get(sessionId))?.messageCount).toBe(101);
  });

  it("expectedLastMessageId: null on an empty session, the last id after; a mismatch writes nothing", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const [a] = await sessions.append(sessionId, say("a"), { expectedLastMessageId: null });
    await expect(sessions.append(sessionId, say("x"), { expectedLastMessageId: null })).rejects.toMatchObject(
      {
        code: "VERSION_CONFLICT",
        actualLastMessageId: a?.id,
      },
    );
    const [b] = await sessions.append(sessionId, say("b"), { expectedLastMessageId: a?.id ?? "" });
    await sessions.truncate(sessionId, { removeLast: 1 });
    // After the truncate the last message is `a` again.
    await expect(
      sessions.append(sessionId, say("y"), { expectedLastMessageId: b?.id ?? "" }),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", actualLastMessageId: a?.id });
    await sessions.append(sessionId, say("c"), { expectedLastMessageId: a?.id ?? "" });
    expect((await sessions.messages(sessionId)).items.map((m) => m.content)).toEqual(["a", "c"]);
  });

  it("idempotent appends: a retry returns the first call's messages and writes nothing; reuse is rejected", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const first = await sessions.append(sessionId, [say("a"), say("b")], { idempotencyKey: "k1" });
    const again = await sessions.append(sessionId, [say("a"), say("b")], { idempotencyKey: "k1" });
    expect(again).toEqual(first);
    expect((await sessions.get(sessionId))?.messageCount).toBe(2);
    await expect(sessions.append(sessionId, say("other"), { idempotencyKey: "k1" })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await sessions.truncate(sessionId, { removeLast: 1 });
    expect(await sessions.append(sessionId, [say("a"), say("b")], { idempotencyKey: "k1" })).toEqual([
      first[0],
    ]);
    // Checked before the precondition: a retry with a stale expectation still gets its answer.
    expect(
      await sessions.append(sessionId, [say("a"), say("b")], {
        idempotencyKey: "k1",
        expectedLastMessageId: null,
      }),
    ).toEqual([first[0]]);
    // Delete + reuse of the id starts clean, also from another store that has no hints.
    expect(await sessions.delete(sessionId)).toBe(true);
    await sessions.create({ sessionId });
    const fresh = await sessions.append(sessionId, [say("a"), say("b")], { idempotencyKey: "k1" });
    expect(fresh.map((m) => m.id)).not.toEqual(first.map((m) => m.id));
    expect((await sessions.get(sessionId))?.messageCount).toBe(2);
  });

  it("concurrent appends: one expectedLastMessageId → exactly one wins; one idempotency key → one write", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const [a] = await sessions.append(sessionId, say("a"));
    const racing = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        sessions.append(sessionId, say(`r${i}`), { expectedLastMessageId: a?.id ?? "" }),
      ),
    );
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of racing)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "VERSION_CONFLICT" });
    const same = await Promise.all(
      Array.from({ length: 6 }, () =>
        sessions.append(sessionId, [say("x"), say("y")], { idempotencyKey: "once" }),
      ),
    );
    for (const answer of same) expect(answer).toEqual(same[0]);
    expect((await sessions.get(sessionId))?.messageCount).toBe(4);
  });

  it("large messages (2 MB random, 8 MiB text, metadata) round-trip through every read; delete removes the chunks", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const random = randomBytes(1024 * 1024).toString("hex"); // 2 MB that compresses to ~1 MB
    const huge = "z".repeat(8 * 1024 * 1024 - 100);
    const appended = await sessions.append(sessionId, [
      say("small"),
      { role: "assistant", content: random, metadata: { tool: "x" } },
      say(huge),
    ]);
    expect(appended[1]?.content).toBe(random);
    const page = await sessions.messages(sessionId);
    expect(page.items.map((m) => m.content.length)).toEqual([5, random.length, huge.length]);
    expect(page.items[1]?.metadata).toEqual({ tool: "x" });
    const recent = await sessions.get(sessionId, { recentMessages: 2 });
    expect(recent?.recentMessages?.[0]?.content).toBe(random);
    const removed = await sessions.truncate(sessionId, { removeLast: 2 });
    expect(removed.map((m) => m.content.length)).toEqual([random.length, huge.length]);
    await sessions.append(sessionId, say(random));
    expect(await sessions.delete(sessionId)).toBe(true);
    const { Count } = await DynamoDBDocument.from(local.low).query({
      TableName: local.tables.sessions,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `session#${sessionId}` },
      Select: "COUNT",
    });
    expect(Count).toBe(0);
  });
});
