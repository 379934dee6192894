import { DynamoStateStore } from "@agent-state/dynamodb";
import { pickFreePort } from "@agent-state/dynamodb-local";
import { AgentStateSaver } from "@agent-state/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/index.js";
import { loadConfig, silentLogger, startServer } from "../src/index.js";
import { userCacheToolName } from "../src/mcp/cache-scope.js";
import { tripGraph } from "./console-seed.js";
import { ADMIN_TOKEN, startTestServer } from "./helpers.js";

// The admin routes the console uses, beyond the original ones (admin-api.test.ts).
describe("admin HTTP API: the console's routes", () => {
  let server: RunningServer;
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("every new route is in /openapi.json and needs the admin token", async () => {
    const doc = (await (await call("GET", "/openapi.json", undefined, {})).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: [string, string, string][] = [
      ["get", "/state/overview", "/state/overview"],
      ["delete", "/state/sessions/{sessionId}/messages", "/state/sessions/s/messages?after=x"],
      ["get", "/state/cache/{toolName}", "/state/cache/t?params=%7B%7D"],
      ["delete", "/state/cache/{toolName}", "/state/cache/t"],
      ["get", "/state/users/{userId}/preferences/{agentId}", "/state/users/u/preferences/a"],
      ["put", "/state/users/{userId}/preferences/{agentId}", "/state/users/u/preferences/a"],
      ["get", "/state/threads", "/state/threads"],
      ["get", "/state/threads/{threadId}/checkpoints", "/state/threads/t/checkpoints"],
      ["get", "/state/threads/{threadId}/checkpoints/{checkpointId}", "/state/threads/t/checkpoints/c"],
      [
        "post",
        "/state/threads/{threadId}/checkpoints/{checkpointId}/fork",
        "/state/threads/t/checkpoints/c/fork",
      ],
    ];
    for (const [method, documented, concrete] of routes) {
      expect(doc.paths[documented]?.[method], `${method} ${documented}`).toBeDefined();
      const res = await call(
        method.toUpperCase(),
        concrete,
        method === "get" || method === "delete" ? undefined : {},
        {
          authorization: "Bearer wrong",
        },
      );
      expect(res.status, `${method} ${concrete}`).toBe(401);
      await res.arrayBuffer();
    }
  });

  it("GET /state/overview: store kind, health, counts; no regions on a single-region store", async () => {
    await server.opened.store.sessions.create({ sessionId: "ov-1", userId: "olga" });
    const res = await call("GET", "/state/overview");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      store: "memory",
      health: { ok: true },
      stats: { activeSessions: 1, cacheEntries: 0, approximate: false },
      region: null,
      regions: null,
    });
  });

  it("GET /state/overview on a multi-region store: each region's health; a store that cannot answer degrades", async () => {
    // Two regions whose endpoints refuse connections: the probes mark both down, the health read fails.
    const region = async (name: string) => ({
      region: name,
      clientConfig: {
        region: name,
        endpoint: `http://127.0.0.1:${await pickFreePort()}`,
        credentials: { accessKeyId: "x", secretAccessKey: "y" },
        maxAttempts: 1,
      },
    });
    const store = new DynamoStateStore({
      regions: [await region("home-1"), await region("away-1")],
      regionHealth: { probeIntervalMs: 100, probeTimeoutMs: 500 },
    });
    const config = loadConfig({ store: "dynamodb", port: "0" }, { AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN });
    const regional = await startServer(config, silentLogger, {
      store: { store, kind: "dynamodb", description: "two dead regions", close: () => store.close() },
    });
    try {
      const overview = async () =>
        (await fetch(`${regional.url}/state/overview`, { headers: auth })).json() as Promise<
          Record<string, unknown>
        >;
      await expect
        .poll(async () => (await overview()).regions, { timeout: 20_000 })
        .toEqual([
          { region: "home-1", up: false },
          { region: "away-1", up: false },
        ]);
      expect(await overview()).toMatchObject({
        store: "dynamodb",
        health: { ok: false, reason: "the store cannot answer (UNAVAILABLE)" },
        stats: null,
      });
    } finally {
      await regional.stop();
    }
  });

  it("DELETE /state/sessions/:id/messages?after= truncates after that message, atomically and once", async () => {
    const { sessions } = server.opened.store;
    await sessions.create({ sessionId: "tr/1", userId: "tom" });
    const appended = await sessions.append(
      "tr/1",
      Array.from({ length: 6 }, (_, i) => ({ role: "user" as const, content: `m${i}` })),
    );
    const res = await call("DELETE", `/state/sessions/tr%2F1/messages?after=${appended[2]?.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sessionId: "tr/1", removed: 3 });
    const left = await sessions.messages("tr/1");
    expect(left.items.map((m) => m.content)).toEqual(["m0", "m1", "m2"]);
    expect((await sessions.get("tr/1"))?.version).toBe(1);

    expect(await codeOf(await call("DELETE", "/state/sessions/tr%2F1/messages"))).toBe("VALIDATION");
    expect(await codeOf(await call("DELETE", "/state/sessions/tr%2F1/messages?after=not-a-message"))).toBe(
      "VALIDATION",
    );
    expect((await sessions.messages("tr/1")).items).toHaveLength(3); // nothing removed by the refusals
    expect(await codeOf(await call("DELETE", "/state/sessions/nope/messages?after=x"))).toBe("NOT_FOUND");
  });

  it("GET/DELETE /state/cache/:tool?params=: one entry by its parameters, in a user's namespace with ?user=", async () => {
    const { toolCache } = server.opened.store;
    await toolCache.set("geo", { city: "Oslo", country: "NO" }, { lat: 59.9 }, { ttlSeconds: 60 });
    await toolCache.set("geo", { city: "Rome" }, { lat: 41.9 }, { ttlSeconds: 60 });
    await toolCache.set(userCacheToolName("alice", "notes"), { k: 1 }, "alice's", { ttlSeconds: 60 });

    // Key order does not matter; a lookup counts as a hit.
    const params = encodeURIComponent(JSON.stringify({ country: "NO", city: "Oslo" }));
    const found = await call("GET", `/state/cache/geo?params=${params}`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({
      toolName: "geo",
      params: { country: "NO", city: "Oslo" },
      value: { lat: 59.9 },
      hitCount: 1,
    });
    const scoped = await call("GET", `/state/cache/notes?user=alice&params=${encodeURIComponent('{"k":1}')}`);
    expect(await json(scoped)).toMatchObject({
      toolName: userCacheToolName("alice", "notes"),
      value: "alice's",
    });
    expect(
      await codeOf(await call("GET", `/state/cache/notes?user=bob&params=${encodeURIComponent('{"k":1}')}`)),
    ).toBe("NOT_FOUND");

    for (const bad of [
      "/state/cache/geo",
      "/state/cache/geo?params=%7Bnot",
      "/state/cache/geo?params=%5B1%5D",
    ]) {
      expect(await codeOf(await call("GET", bad)), bad).toBe("VALIDATION");
    }

    const one = await call("DELETE", `/state/cache/geo?params=${params}`);
    expect(await one.json()).toEqual({
      toolName: "geo",
      invalidated: true,
      params: { country: "NO", city: "Oslo" },
    });
    expect(await toolCache.get("geo", { city: "Oslo", country: "NO" })).toBeNull();
    expect(await toolCache.get("geo", { city: "Rome" })).not.toBeNull(); // only that entry
    await call("DELETE", "/state/cache/notes?user=alice");
    expect(await toolCache.get(userCacheToolName("alice", "notes"), { k: 1 })).toBeNull();
  });

  it("GET/PUT /state/users/:u/preferences/:a: read, replace; bad bodies change nothing", async () => {
    expect(await codeOf(await call("GET", "/state/users/pia/preferences/bot"))).toBe("NOT_FOUND");
    const created = await call("PUT", "/state/users/pia/preferences/bot", {
      values: { theme: "dark", n: 1 },
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({
      userId: "pia",
      agentId: "bot",
      values: { theme: "dark", n: 1 },
      version: 1,
    });
    const replaced = await call("PUT", "/state/users/pia/preferences/bot", { values: { theme: "light" } });
    expect(await replaced.json()).toMatchObject({ values: { theme: "light" }, version: 2 });
    expect(await json(await call("GET", "/state/users/pia/preferences/bot"))).toMatchObject({
      values: { theme: "light" },
    });

    for (const body of ["{not json", "[]", JSON.stringify({ values: [1] }), JSON.stringify({ other: 1 })]) {
      expect(await codeOf(await call("PUT", "/state/users/pia/preferences/bot", body)), body).toBe(
        "VALIDATION",
      );
    }
    const tooBig = await call("PUT", "/state/users/pia/preferences/bot", {
      values: { x: "y".repeat(70_000) },
    });
    expect(tooBig.status).toBe(413);
    expect((await server.opened.store.preferences.get("pia", "bot"))?.version).toBe(2);
  });

  it("threads: listed from the index, checkpoints newest first, a checkpoint with its diff, fork", async () => {
    const { store } = server.opened;
    await tripGraph(store).invoke({ request: "weather in Oslo" }, { configurable: { thread_id: "t/1" } });
    await tripGraph(store).invoke({ request: "weather in Rome" }, { configurable: { thread_id: "t-2" } });

    const threads = (await json(await call("GET", "/state/threads"))) as {
      threads: { threadId: string; step: number }[];
    };
    // By escaped thread id: "t%2F1" sorts before "t-2".
    expect(threads.threads.map((t) => t.threadId)).toEqual(["t/1", "t-2"]);
    expect(threads.threads[0]?.step).toBe(2);

    const page1 = (await json(await call("GET", "/state/threads/t%2F1/checkpoints?limit=3"))) as {
      checkpoints: { checkpointId: string; step: number; source: string; parentId: string | null }[];
      cursor: string | null;
    };
    expect(page1.checkpoints.map((c) => c.step)).toEqual([2, 1, 0]);
    expect(page1.cursor).toBe(page1.checkpoints[2]?.checkpointId);
    const page2 = (await json(
      await call("GET", `/state/threads/t%2F1/checkpoints?limit=3&cursor=${page1.cursor}`),
    )) as typeof page1;
    expect(page2.checkpoints.map((c) => [c.step, c.source])).toEqual([[-1, "input"]]);
    expect(page2.cursor).toBeNull();

    const [newest, afterPlan] = page1.checkpoints;
    const detail = (await json(
      await call("GET", `/state/threads/t%2F1/checkpoints/${newest?.checkpointId}`),
    )) as {
      values: Record<string, unknown>;
      parentId: string;
      diff: {
        added: string[];
        changed: string[];
        changes: { kind: string; path: string; after?: unknown }[];
      };
    };
    expect(detail.parentId).toBe(afterPlan?.checkpointId);
    expect(detail.values.city).toBe("Oslo");
    expect(detail.diff.changed).toContain("notes");
    expect(detail.diff.changes).toContainEqual({
      kind: "added",
      path: "$.notes[1]",
      after: { from: "forecast", text: "Forecast for Oslo: 4 °C, rain" },
    });
    expect(await codeOf(await call("GET", "/state/threads/t%2F1/checkpoints/nope"))).toBe("NOT_FOUND");

    const forked = await call("POST", `/state/threads/t%2F1/checkpoints/${afterPlan?.checkpointId}/fork`, {
      values: { city: "Bergen" },
    });
    expect(forked.status).toBe(201);
    const { checkpointId } = (await forked.json()) as { checkpointId: string };
    const latest = await new AgentStateSaver(store).getTuple({ configurable: { thread_id: "t/1" } });
    expect(latest?.config.configurable?.checkpoint_id).toBe(checkpointId);
    expect(latest?.parentConfig?.configurable?.checkpoint_id).toBe(afterPlan?.checkpointId);
    expect(latest?.metadata).toMatchObject({ source: "update", step: 2 });
    expect(latest?.checkpoint.channel_values.city).toBe("Bergen");

    expect(await codeOf(await call("POST", "/state/threads/t%2F1/checkpoints/nope/fork", {}))).toBe(
      "NOT_FOUND",
    );
    expect(
      await codeOf(
        await call("POST", `/state/threads/t%2F1/checkpoints/${checkpointId}/fork`, { values: [1] }),
      ),
    ).toBe("VALIDATION");
  });
});
