import { hashParams } from "@agent-state/core";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DynamoReader } from "../src/index.js";
import { createLocalStore, type LocalStore } from "./local.js";

describe("withReader (the seam for DAX)", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  function recordingReader(): {
    reader: DynamoReader;
    calls: Array<{ method: string; input: Record<string, unknown> }>;
  } {
    const real = DynamoDBDocument.from(local.low);
    const calls: Array<{ method: string; input: Record<string, unknown> }> = [];
    const reader: DynamoReader = {
      get: (input) => {
        calls.push({ method: "get", input });
        return real.get(input);
      },
      query: (input) => {
        calls.push({ method: "query", input });
        return real.query(input);
      },
      batchGet: (input) => {
        calls.push({ method: "batchGet", input });
        return real.batchGet(input);
      },
    };
    return { reader, calls };
  }

  it("sends eventually consistent reads to the reader without ConsistentRead; writes stay on the main client", async () => {
    const { reader, calls } = recordingReader();
    const view = local.store.withReader(reader);
    const { sessionId } = await view.sessions.create({ userId: "u" });
    await view.sessions.append(sessionId, { role: "user", content: "hi" });
    await view.sessions.update(sessionId, { state: { a: 1 } });
    await view.toolCache.set("tool", {}, "v", { ttlSeconds: 60 });
    await view.preferences.set("u", "a", { x: 1 });
    expect(calls).toEqual([]);

    expect(await view.sessions.get(sessionId)).toMatchObject({ version: 2 });
    expect((await view.sessions.get(sessionId, { recentMessages: 5 }))?.recentMessages).toHaveLength(1);
    expect((await view.sessions.messages(sessionId)).items).toHaveLength(1);
    expect((await view.sessions.listByUser("u")).items).toHaveLength(1);
    expect(await view.toolCache.get("tool", {})).toMatchObject({ value: "v", hitCount: 1 });
    expect(await view.preferences.get("u", "a")).toMatchObject({ values: { x: 1 } });
    expect(calls.map((c) => c.method)).toEqual([
      "get",
      "query",
      "get",
      "query",
      "query",
      "batchGet",
      "get",
      "get",
    ]);
    for (const call of calls) {
      expect(call.input).not.toHaveProperty("ConsistentRead");
      const batch = call.input.RequestItems as Record<string, Record<string, unknown>> | undefined;
      for (const request of Object.values(batch ?? {})) expect(request).not.toHaveProperty("ConsistentRead");
    }

    // The main store reads strongly on its own client; closing the view closes nothing shared.
    calls.length = 0;
    await view.close();
    expect(await local.store.sessions.get(sessionId)).toMatchObject({ version: 2 });
    expect(calls).toEqual([]);
  });

  it("a cache entry whose counter was lost (set interrupted between its two writes) restarts counting at 1", async () => {
    const real = DynamoDBDocument.from(local.low);
    await local.store.toolCache.set("t", { q: 2 }, "v", { ttlSeconds: 60 });
    await real.delete({
      TableName: local.tables.toolCache,
      Key: { pk: "t", sk: `hits#${hashParams({ q: 2 })}` },
    });
    expect(await local.store.toolCache.get("t", { q: 2 })).toMatchObject({ value: "v", hitCount: 1 });
    expect(await local.store.toolCache.get("t", { q: 2 })).toMatchObject({ value: "v", hitCount: 2 });
    await local.store.toolCache.invalidate("t");
    expect(await local.store.toolCache.get("t", { q: 2 })).toBeNull();
  });

  it("a stale reader cannot make a cache hit count for a replaced entry", async () => {
    const real = DynamoDBDocument.from(local.low);
    let stale: Record<string, unknown> | undefined;
    const reader: DynamoReader = {
      get: async (input) => (stale !== undefined ? { $metadata: {}, Item: stale } : real.get(input)),
      query: (input) => real.query(input),
      batchGet: (input) => real.batchGet(input),
    };
    const view = local.store.withReader(reader);
    await view.toolCache.set("t", { q: 1 }, "old", { ttlSeconds: 60 });
    stale = (
      await real.get({ TableName: local.tables.toolCache, Key: { pk: "t", sk: await hashOf({ q: 1 }) } })
    ).Item;
    await view.toolCache.set("t", { q: 1 }, "new", { ttlSeconds: 60 });
    expect(await view.toolCache.get("t", { q: 1 })).toMatchObject({ value: "new", hitCount: 1 });
  });
});

async function hashOf(params: Record<string, number>): Promise<string> {
  return hashParams(params);
}
