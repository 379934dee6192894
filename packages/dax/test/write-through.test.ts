import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { DaxEvent, DaxReadClient } from "../src/index.js";
import { countedClients } from "./support/dynamo.js";
import { type ProcessOptions, useSharedDax } from "./support/processes.js";

/** DAX's item and query TTLs (both 5 minutes, DAX's default). */
const DAX_TTL_MS = 300_000;
const QUERY_TTL_MS = DAX_TTL_MS;
const clients = countedClients(inject("dynamoEndpoint"));
const { setupClient, storeClient, daxClient, storeRequests, daxRequests } = clients;
afterAll(() => clients.destroy());

/**
 * Writes through DAX: processes A and B share one DAX cluster (the double); A's writes go through it, so B's
 * item reads through DAX see them at once, while B's Queries may serve DAX's query cache until its TTL.
 */
describe("withDax: writes go through DAX", () => {
  const shared = useSharedDax({ setupClient, storeClient, daxClient, ttlMs: DAX_TTL_MS });
  let events: DaxEvent[];
  beforeEach(() => {
    events = [];
  });
  const processWith = (options: ProcessOptions = {}) =>
    shared.processWith({ ...options, onEvent: (event) => events.push(event) });
  /** The record as DynamoDB holds it, read strongly by a store without DAX. */
  const direct = () => shared.outsider();

  it("another process's item reads through DAX see the writes at once; its Queries wait for the query TTL", async () => {
    const a = processWith();
    const b = processWith({ l1: false }); // no L1: each read shows what DAX serves
    const { sessionId } = await a.sessions.create({ userId: "u1", state: { step: 1 } });
    await a.sessions.append(sessionId, { role: "user", content: "one" });
    await a.preferences.set("u1", "agent", { tone: "formal" });
    // B fills DAX's item cache (meta item, preferences) and its query cache (messages page, recent messages).
    expect((await b.sessions.get(sessionId))?.state).toEqual({ step: 1 });
    expect((await b.preferences.get("u1", "agent"))?.values).toEqual({ tone: "formal" });
    expect((await b.sessions.messages(sessionId)).items).toHaveLength(1);
    expect((await b.sessions.get(sessionId, { recentMessages: 10 }))?.messageCount).toBe(1);

    storeRequests.reset();
    daxRequests.reset();
    const writesBefore = shared.dax.writes;
    await a.sessions.update(sessionId, { state: { step: 2 } });
    await a.preferences.patch("u1", "agent", { tone: "casual" });
    await a.sessions.append(sessionId, { role: "assistant", content: "two" });
    // Each write went through the DAX client (UpdateItem, UpdateItem, TransactWriteItems), none around it.
    expect(shared.dax.writes - writesBefore).toBe(3);
    expect(daxRequests.byCommand).toEqual({ UpdateItemCommand: 2, TransactWriteItemsCommand: 1 });
    expect(storeRequests.total).toBe(0);
    // create (1), append (1), preferences.set (an UpdateItem refused by its condition, then a PutItem: 2),
    // and the three writes above: 7 answers from DAX.
    expect(a.daxStats()).toMatchObject({ daxWrites: 7, fallbacks: 0, writeOutcomesUnknown: 0 });

    // B's item reads through DAX see A's writes without waiting for the item TTL.
    const itemHitsBefore = shared.dax.stats.itemHits;
    expect(await b.sessions.get(sessionId)).toMatchObject({
      state: { step: 2 },
      version: 2,
      messageCount: 2,
    });
    expect((await b.preferences.get("u1", "agent"))?.values).toEqual({ tone: "casual" });
    expect((await b.sessions.listByUser("u1")).items[0]).toMatchObject({ messageCount: 2 });
    expect(b.daxStats()).toMatchObject({ fallbacks: 0, ownWriteBypasses: 0 });
    // The preferences answer came from DAX's item cache (updated by the write), not from a miss.
    expect(shared.dax.stats.itemHits).toBeGreaterThan(itemHitsBefore);

    // B's Queries (messages, get with recentMessages) still serve DAX's query cache: documented staleness.
    expect((await b.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual(["one"]);
    expect((await b.sessions.get(sessionId, { recentMessages: 10 }))?.messageCount).toBe(1);
    shared.advanceCaches(QUERY_TTL_MS);
    expect((await b.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual(["one", "two"]);
    expect((await b.sessions.get(sessionId, { recentMessages: 10 }))?.state).toEqual({ step: 2 });
  });

  it("a version conflict through DAX reports the stored version, like a write straight to DynamoDB", async () => {
    const a = processWith();
    const { sessionId } = await a.sessions.create({ state: { n: 0 } });
    await a.sessions.update(sessionId, { state: { n: 1 } });
    await expect(
      a.sessions.update(sessionId, { state: { n: 9 } }, { expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", expectedVersion: 1, actualVersion: 2 });
    await expect(a.sessions.create({ sessionId })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(a.daxStats()).toMatchObject({ fallbacks: 0, daxFailures: 0 });
  });

  it("a write DAX refuses (connection refused, no route) goes to DynamoDB and succeeds", async () => {
    const a = processWith();
    const { sessionId } = await a.sessions.create({ state: { n: 0 } });
    const writesBefore = shared.dax.writes;
    shared.dax.refuse = true;
    expect(await a.sessions.update(sessionId, { state: { n: 1 } })).toMatchObject({ version: 2 });
    shared.dax.refuse = false;
    shared.dax.down = true;
    await a.sessions.append(sessionId, { role: "user", content: "hi" });
    expect(shared.dax.writes).toBe(writesBefore); // neither reached DAX
    expect(await direct().sessions.get(sessionId)).toMatchObject({ state: { n: 1 }, messageCount: 1 });
    expect(a.daxStats()).toMatchObject({ fallbacks: 2, daxFailures: 2, writeOutcomesUnknown: 0 });
    expect(events.filter((e) => e.type === "fallback")).toEqual([
      expect.objectContaining({ operation: "update", reason: "error" }),
      expect.objectContaining({ operation: "transactWrite", reason: "error" }),
    ]);
  });

  it("while the breaker is open, writes go to DynamoDB without trying DAX", async () => {
    const a = processWith({ failureThreshold: 1 });
    shared.dax.down = true;
    await a.preferences.set("u2", "agent", { x: 1 }); // fails on DAX, falls back, opens the breaker
    shared.dax.down = false;
    await a.preferences.patch("u2", "agent", { x: 2 });
    expect(shared.dax.writes).toBe(0);
    expect((await direct().preferences.get("u2", "agent"))?.values).toEqual({ x: 2 });
    expect(events.filter((e) => e.type === "fallback").map((e) => e.type === "fallback" && e.reason)).toEqual(
      ["error", "breaker-open", "breaker-open"],
    );
  });

  it("a write whose DAX call times out after sending gives UNAVAILABLE and is applied at most once", async () => {
    const a = processWith({ writeTimeoutMs: 200 });
    const { sessionId } = await a.sessions.create({ state: { n: 0 } });
    await a.preferences.set("u3", "agent", { x: 1 });
    shared.dax.hangAfterWrite = true;
    const appended = a.sessions.append(sessionId, { role: "user", content: "once" });
    await expect(appended).rejects.toMatchObject({
      code: "UNAVAILABLE",
      cause: expect.objectContaining({ name: "DaxTimeoutError" }),
    });
    await expect(a.sessions.update(sessionId, { state: { n: 1 } })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    await expect(a.preferences.patch("u3", "agent", { x: 2 })).rejects.toMatchObject({ code: "UNAVAILABLE" });
    shared.dax.hangAfterWrite = false;
    // DAX applied each write once (its reply was lost); the decorator did not repeat any on DynamoDB.
    const stored = await direct().sessions.get(sessionId, { recentMessages: 10 });
    expect(stored).toMatchObject({ version: 2, messageCount: 1, state: { n: 1 } });
    expect(stored?.recentMessages?.map((m) => m.content)).toEqual(["once"]);
    expect(await direct().preferences.get("u3", "agent")).toMatchObject({ version: 2, values: { x: 2 } });
    expect(a.daxStats()).toMatchObject({ writeOutcomesUnknown: 3, daxTimeouts: 3, fallbacks: 0 });
    expect(events.filter((e) => e.type === "write-outcome-unknown")).toHaveLength(3);
    // The failed attempts count as this process's writes: its next reads go to DynamoDB, not to stale DAX.
    expect(await a.sessions.get(sessionId)).toMatchObject({ version: 2, messageCount: 1 });
  });

  it("with a read-only client (get, query, batchGet) writes stay on DynamoDB", async () => {
    const readOnly: DaxReadClient = {
      get: (input) => shared.dax.get(input),
      query: (input) => shared.dax.query(input),
      batchGet: (input) => shared.dax.batchGet(input),
    };
    const a = processWith({ client: readOnly });
    storeRequests.reset();
    const { sessionId } = await a.sessions.create({ userId: "u4" });
    await a.sessions.update(sessionId, { state: { n: 1 } });
    expect(shared.dax.writes).toBe(0);
    expect(storeRequests.byCommand).toMatchObject({ PutItemCommand: 1, UpdateItemCommand: 1 });
    expect(a.daxStats().daxWrites).toBe(0);
  });
});
