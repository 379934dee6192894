import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
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

  it("append with replace: one read and one transaction; the removed large message's chunks go after the commit", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const large = (tag: string) => ({
      role: "tool" as const,
      content: tag + randomBytes(600 * 1024).toString("base64"),
    });
    const [kept, removed] = await sessions.append(sessionId, [large("kept:"), large("removed:")]);
    const before = await chunkCount(sessionId);
    expect(before).toBeGreaterThanOrEqual(4);
    const replacement = large("replacement:");
    const cost = await local.counter.measure(() =>
      sessions.append(sessionId, replacement, { replace: { afterMessageId: kept?.id ?? "" } }),
    );
    // Chunks of the new message first; GetItem + Query of what to remove; the transaction; the old chunks' delete.
    expect(cost.byOperation).toEqual({ BatchWriteItem: 2, GetItem: 1, Query: 1, TransactWriteItems: 1 });
    expect((await sessions.messages(sessionId)).items.map((m) => m.content)).toEqual([
      kept?.content,
      replacement.content,
    ]);
    // As many chunks as before: the removed message's are gone, the replacement's (same size) are there.
    expect(await chunkCount(sessionId)).toBe(before);
    expect(removed).toBeDefined();
  });

  it("a replace whose transaction certainly failed changes nothing and drops only its own chunks", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const content = randomBytes(600 * 1024).toString("base64");
    const all = await sessions.append(sessionId, [say("a"), { role: "tool", content }]);
    const before = await chunkCount(sessionId);
    failNextTransaction("throttled");
    const error = await sessions
      .append(sessionId, { role: "tool", content: `${content}!` }, { replace: { removeLast: 1 } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "THROTTLED" });
    expect((await sessions.messages(sessionId)).items).toEqual(all);
    expect(await chunkCount(sessionId)).toBe(before);
    expect((await sessions.get(sessionId))?.messageCount).toBe(2);
  });

  it("a replace whose outcome is unknown deletes no chunks: the new message stays readable", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const content = randomBytes(600 * 1024).toString("base64");
    const [a] = await sessions.append(sessionId, [say("a"), { role: "tool", content }]);
    const before = await chunkCount(sessionId);
    failNextTransaction("reply-lost");
    const replacement = { role: "tool" as const, content: `${content}!` };
    const error = await sessions
      .append(sessionId, replacement, { replace: { removeLast: 1 } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAVAILABLE" });
    // It did land: the replacement reads back whole, and the removed message's chunks are left to their TTL.
    const items = (await sessions.messages(sessionId)).items;
    expect(items.map((m) => m.content)).toEqual(["a", replacement.content]);
    expect(items[0]).toEqual(a);
    expect(await chunkCount(sessionId)).toBeGreaterThan(before);
    expect((await sessions.get(sessionId))?.messageCount).toBe(2);
  });

  it("replaces racing plain appends: the last replace's messages whole, then the appends after it, messageCount exact", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const base = await sessions.append(
      sessionId,
      Array.from({ length: 10 }, (_, i) => say(`base${i}`)),
    );
    const replaces = Array.from({ length: 4 }, (_, i) =>
      sessions.append(sessionId, [say(`r${i}a`), say(`r${i}b`)], {
        replace: { afterMessageId: base[9]?.id ?? "" },
      }),
    );
    const plains = Array.from({ length: 4 }, (_, i) => sessions.append(sessionId, say(`p${i}`)));
    const replaced = await Promise.allSettled(replaces);
    const appended = await Promise.all(plains);
    const winners = replaced.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    for (const r of replaced)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "THROTTLED" });
    expect(winners.length).toBeGreaterThan(0);
    const stored = await readAll(sessionId);
    expect(stored.slice(0, 10)).toEqual(base);
    const tail = stored.slice(10);
    expect(winners).toContainEqual(tail.slice(0, 2));
    const plainIds = new Set(appended.flat().map((m) => m.id));
    for (const m of tail.slice(2)) expect(plainIds.has(m.id)).toBe(true);
    for (let i = 1; i < stored.length; i++)
      expect((stored[i]?.id ?? "") > (stored[i - 1]?.id ?? "")).toBe(true);
    expect((await sessions.get(sessionId))?.messageCount).toBe(stored.length);
  });

  it("a replace reads the meta item before the messages, and reads again when a write lands between them", async () => {
    const { sessions } = local.store;
    const { sessionId } = await sessions.create();
    const base = await sessions.append(sessionId, [say("a"), say("b")]);
    // Hold the meta item's read, then the messages' read, while a plain append commits. Holding the meta
    // item's read, the append waits for a messages' read that might run meanwhile (it must not: it would
    // be older than the meta item, and the replace would leave the plain message behind).
    for (const held of ["GetItemCommand", "QueryCommand"]) {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let reached = () => {};
      const atGate = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let queried = () => {};
      const queriedMeanwhile = new Promise<void>((resolve) => {
        queried = resolve;
      });
      let armed = true;
      let holding = false;
      local.low.middlewareStack.add(
        (next, context) => async (args) => {
          const name = (context as { commandName?: string }).commandName;
          if (armed && name === held) {
            armed = false;
            holding = true;
            reached();
            await gate;
            holding = false;
          }
          const output = await next(args);
          if (holding && name === "QueryCommand") queried();
          return output;
        },
        { step: "initialize", name: `hold-${held}` },
      );
      const replacing = sessions.append(sessionId, [say(`${held}-1`), say(`${held}-2`)], {
        replace: { afterMessageId: base[1]?.id ?? "" },
      });
      await atGate;
      if (held === "GetItemCommand") await Promise.race([queriedMeanwhile, sleep(300)]);
      await sessions.append(sessionId, say(`plain during ${held}`));
      release();
      const added = await replacing;
      expect(await readAll(sessionId)).toEqual([...base, ...added]);
      expect((await sessions.get(sessionId))?.messageCount).toBe(4);
    }
  });

  /** Chunk items (`c#…`) of a session's partition. */
  async function chunkCount(sessionId: string): Promise<number> {
    const { Count } = await DynamoDBDocument.from(local.low).query({
      TableName: local.tables.sessions,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :c)",
      ExpressionAttributeValues: { ":pk": `session#${sessionId}`, ":c": "c#" },
      Select: "COUNT",
      ConsistentRead: true,
    });
    return Count ?? 0;
  }

  async function readAll(sessionId: string) {
    const out = [];
    let cursor: string | undefined;
    do {
      const page = await local.store.sessions.messages(sessionId, cursor === undefined ? {} : { cursor });
      out.push(...page.items);
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /**
   * Makes the next TransactWriteItems fail: "throttled" before it is sent (certainly not written),
   * "reply-lost" after it committed (an unknown outcome to the store).
   */
  function failNextTransaction(how: "throttled" | "reply-lost"): void {
    let armed = true;
    local.low.middlewareStack.add(
      (next, context) => async (args) => {
        if (!armed || (context as { commandName?: string }).commandName !== "TransactWriteItemsCommand") {
          return next(args);
        }
        armed = false;
        if (how === "throttled") {
          throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
            name: "ProvisionedThroughputExceededException",
          });
        }
        await next(args);
        throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      },
      { step: "initialize", name: `failNextTransaction-${how}-${Math.random()}` },
    );
  }
});
