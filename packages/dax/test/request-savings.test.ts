import { ManualClock } from "@agent-state/core/testing";
import type { DynamoStateStore } from "@agent-state/dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withDax } from "../src/index.js";
import { DaxDouble } from "./support/dax-double.js";
import { countRequests, localClient, NO_TIMEOUT_MS } from "./support/dynamo.js";
import { freshDynamoStore, sameTablesStore } from "./support/stores.js";

const READS = 50;

/** How many DynamoDB requests `READS` hot reads of one session cost, with and without the L1 and DAX. */
describe("withDax: DynamoDB requests saved on a hot session", () => {
  const clock = new ManualClock();
  const setupClient = localClient(inject("dynamoEndpoint"));
  // Requests from the store (its own reads and fallbacks) and from the DAX double (its misses), counted apart.
  const storeClient = localClient(inject("dynamoEndpoint"));
  const daxClient = localClient(inject("dynamoEndpoint"));
  const storeRequests = countRequests(storeClient);
  const daxRequests = countRequests(daxClient);
  let writer: DynamoStateStore;
  let drop: () => Promise<void>;
  let sessionId = "";
  let reader: () => DynamoStateStore;

  beforeAll(async () => {
    const fresh = await freshDynamoStore(setupClient, clock.now);
    writer = fresh.store;
    drop = fresh.drop;
    reader = () => sameTablesStore(storeClient, fresh.tables, clock.now);
    ({ sessionId } = await writer.sessions.create({ userId: "hot" }));
    for (let i = 0; i < 20; i++) await writer.sessions.append(sessionId, { role: "user", content: `m${i}` });
  });
  afterAll(async () => {
    await drop();
    for (const c of [setupClient, storeClient, daxClient]) c.destroy();
  });

  it("direct DynamoDB: one Query per read", async () => {
    storeRequests.reset();
    for (let i = 0; i < READS; i++) await reader().sessions.get(sessionId, { recentMessages: 20 });
    expect(storeRequests.byCommand).toEqual({ QueryCommand: READS });
  });

  it("DAX alone (no L1): DynamoDB sees only DAX's first miss", async () => {
    const dax = new DaxDouble(DynamoDBDocument.from(daxClient));
    const store = withDax(reader(), { client: dax, l1: false, timeoutMs: NO_TIMEOUT_MS });
    storeRequests.reset();
    daxRequests.reset();
    for (let i = 0; i < READS; i++) await store.sessions.get(sessionId, { recentMessages: 20 });
    expect(storeRequests.total).toBe(0);
    expect(daxRequests.byCommand).toEqual({ QueryCommand: 1 });
    expect(store.daxStats()).toMatchObject({ daxReads: READS, l1Hits: 0, fallbacks: 0 });
    await store.close();
  });

  it("L1 in front of DAX: the process asks DAX once per L1 TTL", async () => {
    let cacheNowMs = 1_000_000;
    const dax = new DaxDouble(DynamoDBDocument.from(daxClient), { now: () => cacheNowMs });
    const store = withDax(reader(), {
      client: dax,
      timeoutMs: NO_TIMEOUT_MS,
      cacheClock: () => cacheNowMs,
      l1: { ttlMs: 1_000 },
    });
    storeRequests.reset();
    daxRequests.reset();
    for (let i = 0; i < READS; i++) await store.sessions.get(sessionId, { recentMessages: 20 });
    expect(store.daxStats()).toMatchObject({ daxReads: 1, l1Hits: READS - 1, l1Misses: 1 });
    expect(storeRequests.total + daxRequests.total).toBe(1);
    cacheNowMs += 1_001;
    await store.sessions.get(sessionId, { recentMessages: 20 });
    expect(store.daxStats()).toMatchObject({ daxReads: 2, l1Misses: 2 });
    expect(storeRequests.total + daxRequests.total).toBe(1); // the second DAX read was a DAX hit
    await store.close();
  });

  it("L1 alone (no DAX cluster): one DynamoDB read per L1 TTL", async () => {
    const store = withDax(reader(), {});
    storeRequests.reset();
    for (let i = 0; i < READS; i++) await store.sessions.get(sessionId, { recentMessages: 20 });
    expect(storeRequests.byCommand).toEqual({ QueryCommand: 1 });
    expect(store.daxStats()).toMatchObject({ l1Hits: READS - 1, daxReads: 0, fallbacks: 0 });
    await store.close();
  });

  it("after its own append a process reads DynamoDB once, then its L1 again", async () => {
    const dax = new DaxDouble(DynamoDBDocument.from(daxClient));
    const store = withDax(reader(), { client: dax, timeoutMs: NO_TIMEOUT_MS });
    await store.sessions.get(sessionId, { recentMessages: 20 });
    await store.sessions.append(sessionId, { role: "assistant", content: "fresh" });
    storeRequests.reset();
    daxRequests.reset();
    for (let i = 0; i < READS; i++) {
      const session = await store.sessions.get(sessionId, { recentMessages: 20 });
      expect(session?.recentMessages?.at(-1)?.content).toBe("fresh");
    }
    expect(storeRequests.byCommand).toEqual({ QueryCommand: 1 });
    expect(daxRequests.total).toBe(0);
    expect(store.daxStats()).toMatchObject({ ownWriteBypasses: 1 });
    await store.close();
  });
});
