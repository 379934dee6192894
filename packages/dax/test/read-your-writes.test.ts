import { transact } from "@agent-state/core";
import { ManualClock } from "@agent-state/core/testing";
import type { TableNames } from "@agent-state/dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { type DaxStateStore, withDax } from "../src/index.js";
import { DaxDouble } from "./support/dax-double.js";
import { localClient, NO_TIMEOUT_MS } from "./support/dynamo.js";
import { freshDynamoStore, sameTablesStore } from "./support/stores.js";

const DAX_TTL_MS = 300_000;
const client = localClient(inject("dynamoEndpoint"));
afterAll(() => client.destroy());

/**
 * Two processes, A and B, each with its own decorated store on the same tables and the same DAX cluster (the
 * double). Their writes go through DAX, which refreshes its item cache but not its query cache, exactly as
 * in production; a third process C writes to DynamoDB without DAX, which leaves both caches stale.
 */
describe("withDax: consistency despite DAX's stale caches", () => {
  const storeClock = new ManualClock();
  let cacheNowMs = 1_000_000;
  const cacheClock = () => cacheNowMs;
  let tables: TableNames;
  let drop: () => Promise<void>;
  let dax: DaxDouble;
  let a: DaxStateStore;
  let b: DaxStateStore;

  beforeEach(async () => {
    const fresh = await freshDynamoStore(client, storeClock.now);
    tables = fresh.tables;
    drop = fresh.drop;
    dax = new DaxDouble(DynamoDBDocument.from(client), {
      itemTtlMs: DAX_TTL_MS,
      queryTtlMs: DAX_TTL_MS,
      now: cacheClock,
    });
    const options = {
      client: dax,
      clock: storeClock.now,
      cacheClock,
      daxTtlMs: DAX_TTL_MS,
      timeoutMs: NO_TIMEOUT_MS,
    } as const;
    a = withDax(fresh.store, options);
    // B has no L1, so each of its reads shows what DAX serves.
    b = withDax(sameTablesStore(client, tables, storeClock.now), { ...options, l1: false });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await drop();
  });

  it("a process reads its own appends although DAX's query cache still serves the old page", async () => {
    const { sessionId } = await a.sessions.create({ userId: "u1" });
    await a.sessions.append(sessionId, [
      { role: "user", content: "one" },
      { role: "assistant", content: "two" },
    ]);
    // B fills DAX's caches with the two-message view.
    expect((await b.sessions.messages(sessionId)).items).toHaveLength(2);
    expect((await b.sessions.get(sessionId, { recentMessages: 10 }))?.recentMessages).toHaveLength(2);

    await a.sessions.append(sessionId, { role: "user", content: "three" });

    const own = await a.sessions.get(sessionId, { recentMessages: 10 });
    expect(own?.messageCount).toBe(3);
    expect(own?.recentMessages?.map((m) => m.content)).toEqual(["one", "two", "three"]);
    expect((await a.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual([
      "one",
      "two",
      "three",
    ]);
    expect(a.daxStats().ownWriteBypasses).toBeGreaterThan(0);

    // Another process sees DAX's old page until the DAX TTL has passed: the documented staleness.
    expect((await b.sessions.messages(sessionId)).items).toHaveLength(2);
    expect((await b.sessions.get(sessionId, { recentMessages: 10 }))?.messageCount).toBe(2);
    cacheNowMs += DAX_TTL_MS;
    expect((await b.sessions.messages(sessionId)).items).toHaveLength(3);
    expect((await b.sessions.get(sessionId, { recentMessages: 10 }))?.messageCount).toBe(3);
  });

  it("its own updates, deletes and preference writes show at once too", async () => {
    const { sessionId } = await a.sessions.create({ userId: "u2", state: { step: 1 } });
    await a.preferences.set("u2", "agent", { tone: "formal" });
    expect((await b.sessions.get(sessionId))?.state).toEqual({ step: 1 });
    expect((await b.preferences.get("u2", "agent"))?.values).toEqual({ tone: "formal" });
    expect((await b.sessions.listByUser("u2")).items).toHaveLength(1);

    // A reads (filling its L1), then writes: its next reads must not come from the L1 or DAX.
    expect((await a.sessions.get(sessionId))?.version).toBe(1);
    expect((await a.preferences.get("u2", "agent"))?.version).toBe(1);
    await a.sessions.update(sessionId, { state: { step: 2 } });
    await a.preferences.patch("u2", "agent", { tone: "casual" });
    expect((await a.sessions.get(sessionId))?.state).toEqual({ step: 2 });
    expect((await a.preferences.get("u2", "agent"))?.values).toEqual({ tone: "casual" });

    await a.sessions.delete(sessionId);
    await a.preferences.delete("u2", "agent");
    expect(await a.sessions.get(sessionId)).toBeNull();
    expect(await a.preferences.get("u2", "agent")).toBeNull();
    expect((await a.sessions.listByUser("u2")).items).toEqual([]);
    await expect(a.sessions.messages(sessionId)).rejects.toMatchObject({ code: "NOT_FOUND" });

    // B, which wrote nothing, sees the deletes too: A's writes went through DAX and dropped its cached items
    // (its cached index page still lists the session, but the BatchGetItem behind listByUser finds nothing).
    expect(await b.sessions.get(sessionId)).toBeNull();
    expect(await b.preferences.get("u2", "agent")).toBeNull();
    expect((await b.sessions.listByUser("u2")).items).toEqual([]);
  });

  it("versions are decided by DynamoDB: a stale read loses with the stored version, and transact recovers", async () => {
    const { sessionId } = await a.sessions.create({ state: { n: 0 } });
    expect((await b.sessions.get(sessionId))?.version).toBe(1); // cached in DAX
    // C writes without DAX (a process not wired to it), so DAX's cached item stays stale until its TTL.
    await sameTablesStore(client, tables, storeClock.now).sessions.update(sessionId, { state: { n: 1 } });
    expect((await b.sessions.get(sessionId))?.version).toBe(1); // stale, as documented

    await expect(
      b.sessions.update(sessionId, { state: { n: 99 } }, { expectedVersion: 1 }),
    ).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
      actualVersion: 2,
    });
    // B has now written (an attempt counts): its reads of the session skip DAX, so transact converges.
    const done = await transact(b, sessionId, (session) => ({ state: { n: Number(session.state.n) + 1 } }));
    expect(done).toMatchObject({ version: 3, state: { n: 2 } });
  });

  it("never serves an expired record from the L1 or from DAX", async () => {
    const { sessionId } = await a.sessions.create({ ttlSeconds: 60 });
    await a.preferences.set("u3", "agent", { x: 1 }, { ttlSeconds: 60 });
    cacheNowMs += DAX_TTL_MS + 10_000; // A's own-write window is over: its reads go to DAX again
    expect(await a.sessions.get(sessionId)).not.toBeNull(); // now in A's L1 and in DAX
    expect(await a.preferences.get("u3", "agent")).not.toBeNull();
    expect(await b.sessions.get(sessionId)).not.toBeNull();
    const l1HitsBefore = a.daxStats().l1Hits;

    storeClock.advanceSeconds(60);
    expect(await a.sessions.get(sessionId)).toBeNull();
    expect(await a.preferences.get("u3", "agent")).toBeNull();
    expect(await b.sessions.get(sessionId)).toBeNull();
    expect(a.daxStats().l1Hits).toBe(l1HitsBefore);
    expect(dax.stats.itemHits).toBeGreaterThan(0); // DAX did hold the item; the store's expiry check refused it
  });

  it("tool-cache gets count every hit exactly and never touch DAX", async () => {
    await a.toolCache.set("search", { q: "x" }, { result: 1 }, { ttlSeconds: 60 });
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push((await a.toolCache.get("search", { q: "x" }))?.hitCount);
    hits.push((await b.toolCache.get("search", { q: "x" }))?.hitCount);
    expect(hits).toEqual([1, 2, 3, 4]);
    expect(dax.stats.itemHits + dax.stats.itemMisses + dax.stats.queryHits + dax.stats.queryMisses).toBe(0);
  });
});
