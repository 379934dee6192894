import { type AddressInfo, createServer, type Socket } from "node:net";
import { UnavailableError } from "@agent-state/core";
import { pickFreePort } from "@agent-state/dynamodb-local";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type BatchWriteCommandInput, DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DynamoDocumentMethods, DynamoStateStore } from "../src/index.js";
import { localClientConfig } from "../src/testing/index.js";
import { createLocalStore, type LocalStore } from "./local.js";

describe("failures", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  /** The real client in method style, with some methods replaced. */
  function methodClient(overrides: Partial<DynamoDocumentMethods>): DynamoDocumentMethods {
    const real = DynamoDBDocument.from(local.low);
    return {
      get: (input) => real.get(input),
      query: (input) => real.query(input),
      batchGet: (input) => real.batchGet(input),
      put: (input) => real.put(input),
      update: (input) => real.update(input),
      delete: (input) => real.delete(input),
      batchWrite: (input) => real.batchWrite(input),
      transactWrite: (input) => real.transactWrite(input),
      scan: (input) => real.scan(input),
      ...overrides,
    };
  }

  /** The real client, except that the first `times` BatchWriteItem calls leave all but one item unprocessed. */
  function withUnprocessedWrites(times: number): {
    client: DynamoDocumentMethods;
    calls: BatchWriteCommandInput[];
  } {
    const real = DynamoDBDocument.from(local.low);
    const calls: BatchWriteCommandInput[] = [];
    const client = methodClient({
      async batchWrite(input) {
        calls.push(input);
        if (calls.length > times) return real.batchWrite(input);
        const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ["", []];
        const [first, ...rest] = requests;
        if (first !== undefined) await real.batchWrite({ RequestItems: { [table]: [first] } });
        return { $metadata: {}, UnprocessedItems: rest.length > 0 ? { [table]: rest } : {} };
      },
    });
    return { client, calls };
  }

  it("UnprocessedItems are retried with backoff until every item is written", async () => {
    const { client, calls } = withUnprocessedWrites(3);
    const store = new DynamoStateStore({ client, tables: local.tables });
    const { sessionId } = await store.sessions.create();
    for (let i = 0; i < 4; i++) {
      await store.sessions.append(
        sessionId,
        Array.from({ length: 10 }, (_, j) => ({ role: "user" as const, content: `${i}-${j}` })),
      );
    }
    expect(await store.sessions.delete(sessionId)).toBe(true);
    // 40 messages = 2 batches (25 + 15); the first three calls each wrote one item, the rest were resent.
    expect(calls.map((c) => Object.values(c.RequestItems ?? {})[0]?.length)).toEqual([25, 24, 23, 22, 15]);
    await store.sessions.create({ sessionId });
    expect((await local.store.sessions.messages(sessionId)).items).toEqual([]);
    const leftovers = await DynamoDBDocument.from(local.low).query({
      TableName: local.tables.sessions,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :m)",
      ExpressionAttributeValues: { ":pk": `session#${sessionId}`, ":m": "m#" },
    });
    expect(leftovers.Items).toEqual([]);
  });

  it("UnprocessedKeys of BatchGetItem are retried until every key is read", async () => {
    const real = DynamoDBDocument.from(local.low);
    const keyCounts: number[] = [];
    const client = methodClient({
      async batchGet(input) {
        const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? ["", { Keys: [] }];
        const keys = request.Keys ?? [];
        keyCounts.push(keys.length);
        if (keyCounts.length > 2) return real.batchGet(input);
        // Serve the first key only, as DynamoDB does when a batch exceeds its size or throughput budget.
        const served = await real.batchGet({
          RequestItems: { [table]: { ...request, Keys: keys.slice(0, 1) } },
        });
        return { ...served, UnprocessedKeys: { [table]: { ...request, Keys: keys.slice(1) } } };
      },
    });
    const store = new DynamoStateStore({ client, tables: local.tables });
    for (let i = 0; i < 5; i++) await store.sessions.create({ sessionId: `s${i}`, userId: "many" });
    const page = await store.sessions.listByUser("many");
    expect(page.items.map((s) => s.sessionId)).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    expect(keyCounts).toEqual([5, 4, 3]);
  });

  it("an endpoint that refuses connections gives UNAVAILABLE with the cause, after the bounded attempts", async () => {
    const port = await pickFreePort();
    const low = new DynamoDBClient({ ...localClientConfig(`http://127.0.0.1:${port}`), maxAttempts: 2 });
    let attempts = 0;
    low.middlewareStack.add(
      (next) => async (args) => {
        attempts++;
        return next(args);
      },
      { step: "finalizeRequest", name: "countAttempts" },
    );
    const store = new DynamoStateStore({ client: DynamoDBDocument.from(low), tables: local.tables });
    const error = await store.sessions.get("anything").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: "UNAVAILABLE" });
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    expect(attempts).toBe(2);
    low.destroy();
  });

  it("a store built from clientConfig bounds its attempts and also maps refusals to UNAVAILABLE", async () => {
    const port = await pickFreePort();
    const store = new DynamoStateStore({
      clientConfig: localClientConfig(`http://127.0.0.1:${port}`),
      tables: local.tables,
    });
    const error = await store.preferences.set("u", "a", { x: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAVAILABLE" });
    expect((error as { cause?: { $metadata?: { attempts?: number } } }).cause?.$metadata?.attempts).toBe(3);
    await store.close();
    await store.close();
  });

  it("an endpoint that accepts connections but never answers gives UNAVAILABLE after the request timeout, not a hang", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    const store = new DynamoStateStore({
      clientConfig: {
        ...localClientConfig(`http://127.0.0.1:${port}`),
        maxAttempts: 2,
        requestHandler: { requestTimeout: 300 },
      },
      tables: local.tables,
    });
    try {
      const error = await store.sessions.get("anything").catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UNAVAILABLE" });
      expect((error as { cause?: { name?: string } }).cause?.name).toBe("TimeoutError");
      expect(sockets.size).toBe(2);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("throttling errors map to THROTTLED with the cause", async () => {
    const throttled = Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
      name: "ProvisionedThroughputExceededException",
    });
    const client = methodClient({
      get: async () => {
        throw throttled;
      },
    });
    const store = new DynamoStateStore({ client, tables: local.tables });
    const error = await store.sessions.get("s").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "THROTTLED", cause: throttled });
  });
});
