import { randomBytes } from "node:crypto";
import { ManualClock } from "@agent-state/core/testing";
import type { DynamoStateStore, TableNames } from "@agent-state/dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { type DaxReadClient, withDax } from "../src/index.js";
import { DaxDouble } from "./support/dax-double.js";
import { countedClients, NO_TIMEOUT_MS } from "./support/dynamo.js";
import { useSharedDax } from "./support/processes.js";
import { freshDynamoStore, sameTablesStore } from "./support/stores.js";

const DAX_TTL_MS = 300_000;
const READS = 50;
/**
 * How long the tests that lose a write's reply wait for it: long enough that the writes before it (and the
 * chunks before a head) answer on a busy machine, since those must not time out.
 */
const LOST_REPLY_TIMEOUT_MS = 3_000;
const clients = countedClients(inject("dynamoEndpoint"));
const { setupClient, storeClient, daxClient, storeRequests, daxRequests } = clients;
afterAll(() => clients.destroy());

/** Bytes that do not compress, large enough to be stored in chunks. */
const largeBytes = (size: number) => new Uint8Array(randomBytes(size));
const sameBytes = (value: unknown, expected: Uint8Array) =>
  value instanceof Uint8Array && Buffer.from(value).equals(Buffer.from(expected));

/**
 * Records through withDax: processes sharing one DAX cluster (the double), each with its own decorated store
 * on the same tables; an outsider writes to DynamoDB without DAX (as a process without DAX, or a fallback).
 */
describe("withDax: records", () => {
  const shared = useSharedDax({ setupClient, storeClient, daxClient, ttlMs: DAX_TTL_MS });
  const { storeClock, processWith, outsider } = shared;

  it("another process's get through DAX sees the writes at once, and its range is never stale", async () => {
    const a = processWith();
    const b = processWith({ l1: false }); // no L1: each get shows what DAX serves
    await a.records.write("thread", [
      { put: "k1", value: 1 },
      { put: "k2", value: "two" },
      { put: "k3", value: [3] },
    ]);
    // B fills DAX's item cache; its range goes to DynamoDB.
    expect((await b.records.get("thread", ["k1", "k2", "k3"])).map((r) => r?.value)).toEqual([1, "two", [3]]);
    expect((await b.records.range("thread")).items.map((r) => r.key)).toEqual(["k1", "k2", "k3"]);

    const writesBefore = shared.dax.writes;
    storeRequests.reset();
    daxRequests.reset();
    await a.records.write("thread", [{ put: "k1", value: 10, ifVersion: 1 }]);
    await a.records.write(
      "thread",
      [
        { put: "k2", value: "twenty", ifVersion: 1 },
        { put: "k4", value: 4, ifVersion: 0 },
      ],
      { atomic: true },
    );
    await a.records.write("thread", [{ delete: "k3" }]);
    // Each write went through the DAX client (PutItem, TransactWriteItems, DeleteItem), none around it.
    expect(shared.dax.writes - writesBefore).toBe(3);
    expect(daxRequests.byCommand).toEqual({
      PutItemCommand: 1,
      TransactWriteItemsCommand: 1,
      DeleteItemCommand: 1,
    });
    expect(storeRequests.total).toBe(0);

    // B's get through DAX sees every write without waiting for the item TTL, without asking DynamoDB itself.
    storeRequests.reset();
    const hitsBefore = shared.dax.stats.itemHits;
    const got = await b.records.get("thread", ["k1", "k2", "k3", "k4"]);
    expect(got.map((r) => r && [r.value, r.version])).toEqual([[10, 2], ["twenty", 2], null, [4, 1]]);
    expect(shared.dax.stats.itemHits - hitsBefore).toBe(1); // k1: the PutItem through DAX left the new item cached
    // k2 and k4 were written by an atomic batch: the store checks such heads with one TransactGetItems on
    // DynamoDB (DAX would pass it through anyway), so that no read sees half a batch.
    expect(storeRequests.byCommand).toEqual({ TransactGetItemsCommand: 1 });
    expect(b.daxStats()).toMatchObject({ fallbacks: 0, ownWriteBypasses: 0 });

    // B's range goes to DynamoDB (strongly consistent), never to DAX's query cache: no staleness at all.
    const queriesBefore = shared.dax.stats.queryHits + shared.dax.stats.queryMisses;
    storeRequests.reset();
    const page = await b.records.range("thread");
    expect(page.items.map((r) => [r.key, r.value])).toEqual([
      ["k1", 10],
      ["k2", "twenty"],
      ["k4", 4],
    ]);
    // One Query on DynamoDB (plus the store's TransactGetItems check of the atomic batch's heads on the page).
    expect(storeRequests.byCommand).toEqual({ QueryCommand: 1, TransactGetItemsCommand: 1 });
    expect(shared.dax.stats.queryHits + shared.dax.stats.queryMisses).toBe(queriesBefore);

    // clear through DAX: B's get through DAX sees it at once too.
    expect(await a.records.clear("thread")).toBe(true);
    expect(await b.records.get("thread", ["k1", "k2", "k4"])).toEqual([null, null, null]);
    expect((await b.records.range("thread")).items).toEqual([]);
  });

  it("writes around DAX leave another process's get stale until the item TTL; range sees them at once", async () => {
    const b = processWith({ l1: false });
    await outsider().records.write("s", [{ put: "k", value: "old" }]);
    expect((await b.records.get("s", ["k", "absent"])).map((r) => r?.value ?? null)).toEqual(["old", null]);
    await outsider().records.write("s", [
      { put: "k", value: "new" },
      { put: "absent", value: "now here" },
    ]);
    // Documented staleness: DAX's item cache (including its cached absence) until its TTL.
    expect((await b.records.get("s", ["k", "absent"])).map((r) => r?.value ?? null)).toEqual(["old", null]);
    expect((await b.records.range("s")).items.map((r) => r.value)).toEqual(["now here", "new"]);
    shared.advanceCaches(DAX_TTL_MS);
    expect((await b.records.get("s", ["k", "absent"])).map((r) => r?.value)).toEqual(["new", "now here"]);
  });

  it("a process reads the keys it wrote from DynamoDB, and other keys of the scope still from its caches", async () => {
    const a = processWith();
    await outsider().records.write("mine", [
      { put: "hot", value: "read-mostly" },
      { put: "turn", value: 0 },
    ]);
    expect((await a.records.get("mine", ["hot"]))[0]?.value).toBe("read-mostly");
    await outsider().records.write("mine", [{ put: "turn", value: 1 }]);
    // A's own write of "turn" goes through DAX; DAX's other nodes may lag, so A reads "turn" from DynamoDB.
    await a.records.write("mine", [{ put: "turn", value: 2 }]);
    storeRequests.reset();
    daxRequests.reset();
    for (let i = 0; i < READS; i++) {
      expect((await a.records.get("mine", ["turn"]))[0]).toMatchObject({ value: 2, version: 3 });
    }
    expect(storeRequests.byCommand).toEqual({ BatchGetItemCommand: 1 }); // then the L1
    for (let i = 0; i < READS; i++)
      expect((await a.records.get("mine", ["hot"]))[0]?.value).toBe("read-mostly");
    expect(storeRequests.byCommand).toEqual({ BatchGetItemCommand: 1 }); // "hot" was not written: its L1
    expect(daxRequests.total).toBe(0);
    expect(a.daxStats()).toMatchObject({ ownWriteBypasses: 1, l1Hits: 2 * READS - 1 });
    // clear touches every key of the scope: "hot" is read from DynamoDB again.
    await a.records.clear("mine");
    expect(await a.records.get("mine", ["hot"])).toEqual([null]);
    expect(a.daxStats().ownWriteBypasses).toBe(2);
  });

  it("expiry is judged by the store's clock on every L1 and DAX hit", async () => {
    const a = processWith();
    const b = processWith();
    const noL1 = processWith({ l1: false });
    await a.records.write("ttl", [
      { put: "short", value: "s", ttlSeconds: 10 },
      { put: "forever", value: "f" },
    ]);
    for (const store of [b, noL1]) {
      expect((await store.records.get("ttl", ["short", "forever"])).map((r) => r?.value)).toEqual(["s", "f"]);
    }
    const hits = b.daxStats().l1Hits;
    expect((await b.records.get("ttl", ["short", "forever"])).map((r) => r?.value)).toEqual(["s", "f"]);
    expect(b.daxStats().l1Hits).toBe(hits + 1);
    storeClock.advanceSeconds(10); // the caches' own clock has not moved: only the store's clock says "expired"
    const itemHits = shared.dax.stats.itemHits;
    for (const store of [b, noL1]) {
      expect((await store.records.get("ttl", ["short", "forever"])).map((r) => r?.value ?? null)).toEqual([
        null,
        "f",
      ]);
    }
    expect(b.daxStats().l1Hits).toBe(hits + 1); // the L1 entry held an expired record: not served
    expect(shared.dax.stats.itemHits - itemHits).toBe(4); // DAX still held both items; the store dropped the expired one
    // A record without ttl is kept in the L1 however far the store's clock moves.
    storeClock.advanceSeconds(10 * 365 * 24 * 3600);
    expect((await b.records.get("ttl", ["forever"]))[0]?.value).toBe("f");
    expect((await b.records.get("ttl", ["forever"]))[0]?.value).toBe("f");
    expect(b.daxStats().l1Hits).toBe(hits + 2);
  });

  it("a large value is never served in part: a stale head in DAX whose chunks are gone is read again", async () => {
    const v1 = largeBytes(1024 * 1024);
    const v2 = largeBytes(1024 * 1024);
    await outsider().records.write("large", [{ put: "blob", value: v1 }]);
    // A process whose DAX connection breaks between the head and the chunks: DAX now holds the head only.
    let batchGets = 0;
    const flaky: DaxReadClient = {
      get: (input) => shared.dax.get(input),
      query: (input) => shared.dax.query(input),
      batchGet: (input) => {
        batchGets++;
        if (batchGets === 1) return shared.dax.batchGet(input);
        return Promise.reject(Object.assign(new Error("NoRouteException"), { code: "NoRouteException" }));
      },
    };
    const c = processWith({ client: flaky, l1: false });
    expect(sameBytes((await c.records.get("large", ["blob"]))[0]?.value, v1)).toBe(true);
    expect(batchGets).toBe(2);
    expect(c.daxStats().fallbacks).toBe(1);
    // Replaced around DAX: DynamoDB holds the new head and chunks, the old chunks are deleted, DAX keeps
    // the old head.
    await outsider().records.write("large", [{ put: "blob", value: v2 }]);
    const b = processWith({ l1: false });
    const [read] = await b.records.get("large", ["blob"]);
    // Whole, whichever it is: the old value (its chunks still there) or the new one; never a mix, never an error.
    expect(sameBytes(read?.value, v1) || sameBytes(read?.value, v2)).toBe(true);
    expect(read?.version).toBe(sameBytes(read?.value, v2) ? 2 : 1);
  });

  it("a large value read through DAX is served whole from its item cache: no DynamoDB request", async () => {
    const a = processWith();
    const value = largeBytes(1024 * 1024);
    await a.records.write("large", [{ put: "blob", value }]);
    const b = processWith({ l1: false });
    expect(sameBytes((await b.records.get("large", ["blob"]))[0]?.value, value)).toBe(true);
    storeRequests.reset();
    daxRequests.reset();
    for (let i = 0; i < 5; i++)
      expect(sameBytes((await b.records.get("large", ["blob"]))[0]?.value, value)).toBe(true);
    expect(storeRequests.total + daxRequests.total).toBe(0);
  });

  it("a record write whose reply is lost gives UNAVAILABLE, is applied once and is never sent again", async () => {
    const a = processWith({ writeTimeoutMs: LOST_REPLY_TIMEOUT_MS });
    await a.records.write("lost", [{ put: "k", value: 1 }]);
    const writesBefore = shared.dax.writes;
    // Unconditional puts are UpdateItems, conditional ones PutItems, atomic batches TransactWriteItems.
    shared.dax.hangAfterWriteOf = new Set(["put", "update", "transactWrite"]);
    await expect(a.records.write("lost", [{ put: "k", value: 2 }])).rejects.toMatchObject({
      code: "UNAVAILABLE",
      cause: expect.objectContaining({ name: "DaxTimeoutError" }),
    });
    await expect(
      a.records.write(
        "lost",
        [
          { put: "x", value: "x", ifVersion: 0 },
          { put: "y", value: "y", ifVersion: 0 },
        ],
        { atomic: true },
      ),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
    shared.dax.hangAfterWriteOf = new Set();
    expect(shared.dax.writes - writesBefore).toBe(2); // one UpdateItem, one TransactWriteItems: neither repeated
    const stored = await outsider().records.get("lost", ["k", "x", "y"]);
    expect(stored.map((r) => r && [r.value, r.version])).toEqual([
      [2, 2],
      ["x", 1],
      ["y", 1],
    ]);
    expect(a.daxStats()).toMatchObject({ writeOutcomesUnknown: 2, fallbacks: 0 });
    // The failed attempts count as this process's writes: it reads them from DynamoDB, not from DAX.
    expect((await a.records.get("lost", ["k"]))[0]).toMatchObject({ value: 2, version: 2 });
    expect(a.daxStats().ownWriteBypasses).toBe(1);
  });

  it("a large value whose head write's reply is lost reads whole afterwards: the old value or the new", async () => {
    const a = processWith({ writeTimeoutMs: LOST_REPLY_TIMEOUT_MS });
    const v1 = largeBytes(1024 * 1024);
    const v2 = largeBytes(1024 * 1024);
    await a.records.write("lost-large", [{ put: "blob", value: v1 }]);
    // The chunks' BatchWriteItem answers; the head's write (PutItem or UpdateItem) does not.
    shared.dax.hangAfterWriteOf = new Set(["put", "update"]);
    await expect(a.records.write("lost-large", [{ put: "blob", value: v2 }])).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    shared.dax.hangAfterWriteOf = new Set();
    for (const store of [a, processWith({ l1: false })]) {
      const [read] = await store.records.get("lost-large", ["blob"]);
      expect(sameBytes(read?.value, v1) || sameBytes(read?.value, v2)).toBe(true);
    }
  });

  it("a large message whose append's reply is lost reads whole afterwards, or not at all", async () => {
    const a = processWith({ writeTimeoutMs: LOST_REPLY_TIMEOUT_MS });
    const { sessionId } = await a.sessions.create();
    const content = Buffer.from(largeBytes(768 * 1024)).toString("base64url"); // 1 MiB that does not compress
    shared.dax.hangAfterWriteOf = new Set(["transactWrite"]); // the chunks' BatchWriteItem answers, the commit does not
    await expect(a.sessions.append(sessionId, { role: "tool", content })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    shared.dax.hangAfterWriteOf = new Set();
    for (const store of [a, processWith({ l1: false })]) {
      const held = (await store.sessions.messages(sessionId)).items;
      // The append happened or not, as a whole: what messageCount says is there is there, in full.
      expect(held.length).toBe((await store.sessions.get(sessionId))?.messageCount);
      expect(held.every((m) => m.content === content)).toBe(true);
    }
  });

  it("truncate and the append options go through DAX; another process's get sees them at once", async () => {
    const a = processWith();
    const b = processWith({ l1: false });
    const { sessionId } = await a.sessions.create();
    const [first] = await a.sessions.append(
      sessionId,
      { role: "user", content: "one" },
      { expectedLastMessageId: null },
    );
    await a.sessions.append(
      sessionId,
      { role: "assistant", content: "two" },
      { expectedLastMessageId: first!.id },
    );
    expect((await b.sessions.get(sessionId))?.messageCount).toBe(2);
    const writesBefore = shared.dax.writes;
    expect((await a.sessions.truncate(sessionId, { removeLast: 1 })).map((m) => m.content)).toEqual(["two"]);
    expect(shared.dax.writes).toBeGreaterThan(writesBefore);
    expect((await b.sessions.get(sessionId))?.messageCount).toBe(1);
    expect(b.daxStats()).toMatchObject({ fallbacks: 0, ownWriteBypasses: 0 });
  });

  it("an idempotent append whose reply was lost can be called again: it is applied once", async () => {
    const a = processWith({ writeTimeoutMs: LOST_REPLY_TIMEOUT_MS });
    const { sessionId } = await a.sessions.create();
    const turn = [
      { role: "user" as const, content: "q" },
      { role: "assistant" as const, content: "a" },
    ];
    shared.dax.hangAfterWriteOf = new Set(["transactWrite"]);
    await expect(a.sessions.append(sessionId, turn, { idempotencyKey: "turn-1" })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    shared.dax.hangAfterWriteOf = new Set();
    const again = await a.sessions.append(sessionId, turn, { idempotencyKey: "turn-1" });
    expect(again.map((m) => m.content)).toEqual(["q", "a"]);
    expect((await outsider().sessions.get(sessionId))?.messageCount).toBe(2);
    expect((await a.sessions.messages(sessionId)).items).toEqual(again);
  });
});

/** How many DynamoDB requests `READS` hot reads of one scope's records cost, with and without the L1 and DAX. */
describe("withDax: DynamoDB requests of hot record reads", () => {
  const clock = new ManualClock();
  let tables: TableNames;
  let drop: () => Promise<void>;
  const keys = ["a", "b", "c"];
  const reader = (): DynamoStateStore => sameTablesStore(storeClient, tables, clock.now);

  beforeEach(async () => {
    const fresh = await freshDynamoStore(setupClient, clock.now);
    ({ tables, drop } = fresh);
    await fresh.store.records.write(
      "hot",
      keys.map((key) => ({ put: key, value: { key } })),
    );
  });
  afterEach(() => drop());

  /** A DAX double that already knows the table's key schema (its DescribeTable is not a read). */
  async function warmDouble(now?: () => number): Promise<DaxDouble> {
    const dax = new DaxDouble(DynamoDBDocument.from(daxClient), now ? { now } : {});
    await dax.batchGet({ RequestItems: { [tables.sessions]: { Keys: [{ pk: "warm", sk: "up" }] } } });
    return dax;
  }

  async function readHot(store: Pick<DynamoStateStore, "records">, what: "get" | "range"): Promise<void> {
    storeRequests.reset();
    daxRequests.reset();
    for (let i = 0; i < READS; i++) {
      if (what === "get") expect((await store.records.get("hot", keys)).map((r) => r?.key)).toEqual(keys);
      else expect((await store.records.range("hot")).items.map((r) => r.key)).toEqual(keys);
    }
  }

  it("direct DynamoDB: one BatchGetItem per get, one Query per range", async () => {
    await readHot(reader(), "get");
    expect(storeRequests.byCommand).toEqual({ BatchGetItemCommand: READS });
    await readHot(reader(), "range");
    expect(storeRequests.byCommand).toEqual({ QueryCommand: READS });
  });

  it("DAX alone (no L1): get costs DynamoDB only DAX's first miss; range one Query each, never via DAX", async () => {
    const dax = await warmDouble();
    const store = withDax(reader(), { client: dax, l1: false, timeoutMs: NO_TIMEOUT_MS });
    await readHot(store, "get");
    expect(storeRequests.total).toBe(0);
    expect(daxRequests.byCommand).toEqual({ BatchGetItemCommand: 1 });
    expect(store.daxStats()).toMatchObject({ daxReads: READS, fallbacks: 0 });
    await readHot(store, "range");
    expect(storeRequests.byCommand).toEqual({ QueryCommand: READS });
    expect(daxRequests.total).toBe(0);
    await store.close();
  });

  it("L1 in front of DAX: one DAX read per L1 TTL, and 0 DynamoDB requests once DAX holds the items", async () => {
    let cacheNowMs = 1_000_000;
    const dax = await warmDouble(() => cacheNowMs);
    const store = withDax(reader(), { client: dax, timeoutMs: NO_TIMEOUT_MS, cacheClock: () => cacheNowMs });
    await readHot(store, "get");
    expect(store.daxStats()).toMatchObject({ daxReads: 1, l1Hits: READS - 1, l1Misses: 1 });
    expect(storeRequests.total + daxRequests.total).toBe(1);
    cacheNowMs += 1_001;
    storeRequests.reset();
    daxRequests.reset();
    await store.records.get("hot", keys);
    expect(store.daxStats()).toMatchObject({ daxReads: 2, l1Misses: 2 });
    expect(storeRequests.total + daxRequests.total).toBe(0); // a DAX hit
    await store.close();
  });

  it("L1 alone (no DAX cluster): one BatchGetItem per L1 TTL; range one Query each", async () => {
    const store = withDax(reader(), {});
    await readHot(store, "get");
    expect(storeRequests.byCommand).toEqual({ BatchGetItemCommand: 1 });
    await readHot(store, "range");
    expect(storeRequests.byCommand).toEqual({ QueryCommand: READS });
    await store.close();
  });
});
