import type { Json, StateStore } from "@agent-state/core";
import { defineSessionTool, registerSessionTool, TOOL_FAILED, toolErrorResult } from "@agent-state/mcp";
import { MemoryStateStore } from "@agent-state/memory";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";

type Structured = Record<string, unknown>;

/** A server with one session tool wired to `store`, and a client connected to it in memory. */
async function connect(build: (server: McpServer) => void): Promise<Client> {
  const server = new McpServer({ name: "test", version: "0.0.0" });
  build(server);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "test-client", version: "0.0.0" });
  await client.connect(clientTransport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  return { isError: result.isError === true, body: result.structuredContent as Structured };
}

describe("registerSessionTool", () => {
  let store: StateStore;
  let clients: Client[];

  beforeEach(() => {
    store = new MemoryStateStore();
    clients = [];
  });
  afterEach(async () => {
    for (const client of clients) await client.close();
    await store.close();
  });

  const open = async (build: (server: McpServer) => void) => {
    const client = await connect(build);
    clients.push(client);
    return client;
  };

  it("runs the call inside the session: records call and result, sets lastToolCall, checkpoints state", async () => {
    const client = await open((server) =>
      registerSessionTool(
        server,
        store,
        "add",
        {
          inputSchema: z.object({ a: z.number(), b: z.number() }),
          userId: "u1",
          agentId: "calc",
          checkpoint: (state, call) => ({
            ...state,
            total: ((state.total as number) ?? 0) + (call.result as number),
          }),
        },
        ({ a, b }) => a + b,
      ),
    );
    const first = await call(client, "add", { a: 2, b: 3 });
    expect(first.isError).toBe(false);
    expect(first.body).toMatchObject({ result: 5, cached: false, hitCount: 0, version: 2, messageCount: 2 });
    const sessionId = first.body.sessionId as string;
    const second = await call(client, "add", { sessionId, a: 10, b: 1 });
    expect(second.body).toMatchObject({ sessionId, result: 11, version: 3, messageCount: 4 });

    const session = await store.sessions.get(sessionId);
    expect(session).toMatchObject({
      userId: "u1",
      agentId: "calc",
      lastToolCall: "add",
      state: { total: 16 },
    });
    const { items } = await store.sessions.messages(sessionId);
    expect(items.map((m) => [m.role, m.metadata?.kind])).toEqual([
      ["assistant", "tool_call"],
      ["tool", "tool_result"],
      ["assistant", "tool_call"],
      ["tool", "tool_result"],
    ]);
    expect(items[2]?.metadata?.arguments).toEqual({ a: 10, b: 1 });
    expect(JSON.parse(items[3]?.content ?? "null")).toBe(11);
  });

  it("loads an existing session by id and creates a missing one with that id", async () => {
    await store.sessions.create({ sessionId: "s1", userId: "u1", state: { kept: true } });
    const client = await open((server) =>
      registerSessionTool(
        server,
        store,
        "echo",
        { inputSchema: z.object({ v: z.string() }), userId: "u1" },
        ({ v }, ctx) => ({
          v,
          sawState: ctx.session.state,
        }),
      ),
    );
    const existing = await call(client, "echo", { sessionId: "s1", v: "x" });
    expect(existing.body.result).toEqual({ v: "x", sawState: { kept: true } });
    const fresh = await call(client, "echo", { sessionId: "s2", v: "y" });
    expect(fresh.body).toMatchObject({ sessionId: "s2", version: 2 });
    expect(await store.sessions.get("s2")).toMatchObject({ userId: "u1", lastToolCall: "echo" });
  });

  it("answers from the tool cache with hit counts, sharing one computation between sessions", async () => {
    let computations = 0;
    const client = await open((server) =>
      registerSessionTool(
        server,
        store,
        "square",
        { inputSchema: z.object({ n: z.number() }), cache: { ttlSeconds: 60 }, userId: "u1" },
        async ({ n }) => {
          computations++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          return n * n;
        },
      ),
    );
    const first = await call(client, "square", { sessionId: "a", n: 7 });
    expect(first.body).toMatchObject({ result: 49, cached: false, hitCount: 0 });
    const second = await call(client, "square", { sessionId: "b", n: 7 });
    expect(second.body).toMatchObject({ result: 49, cached: true, hitCount: 1 });
    const concurrent = await Promise.all(
      [1, 2, 3, 4].map((i) => call(client, "square", { sessionId: `c${i}`, n: 8 })),
    );
    expect(concurrent.map((r) => r.body.result)).toEqual([64, 64, 64, 64]);
    expect(computations).toBe(2);
    // Keyed by the caller and the arguments (per-user cache by default).
    expect(await store.toolCache.get("square", { caller: "u1", args: { n: 8 } })).toMatchObject({
      value: 64,
      hitCount: 1,
    });
    const { items } = await store.sessions.messages("b");
    expect(items[1]?.metadata).toMatchObject({ kind: "tool_result", cached: true, hitCount: 1 });
  });

  it("checkpoints concurrent calls on one session without losing any (versioned update retried)", async () => {
    const client = await open((server) =>
      registerSessionTool(
        server,
        store,
        "tick",
        {
          inputSchema: z.object({}),
          userId: "u1",
          maxAttempts: 50,
          checkpoint: (state) => ({ ticks: ((state.ticks as number) ?? 0) + 1 }),
        },
        () => "ok",
      ),
    );
    await call(client, "tick", { sessionId: "busy" });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call(client, "tick", { sessionId: "busy" })),
    );
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(await store.sessions.get("busy")).toMatchObject({
      state: { ticks: 11 },
      version: 12,
      messageCount: 22,
    });
  });

  it("returns store errors as tool errors carrying the code, and hides other users' sessions", async () => {
    await store.sessions.create({ sessionId: "theirs", userId: "u2", state: { secret: "s" } });
    const client = await open((server) =>
      registerSessionTool(
        server,
        store,
        "noop",
        { inputSchema: z.object({}), userId: "u1" },
        () => null as Json,
      ),
    );
    const foreign = await call(client, "noop", { sessionId: "theirs" });
    expect(foreign).toEqual({
      isError: true,
      body: { error: { code: "NOT_FOUND", message: 'session "theirs" not found' } },
    });
    expect(await store.sessions.get("theirs")).toMatchObject({ version: 1, messageCount: 0 });
    const invalid = await call(client, "noop", { sessionId: "bad\u0000id" });
    expect(invalid.isError).toBe(true);
    expect((invalid.body.error as { code: string }).code).toBe("VALIDATION");
  });

  it("reports a throwing handler as TOOL_FAILED and records the failure in the session", async () => {
    const client = await open((server) =>
      registerSessionTool(server, store, "boom", { inputSchema: z.object({}), userId: "u1" }, () => {
        throw new Error("kaput");
      }),
    );
    const result = await call(client, "boom", { sessionId: "s" });
    expect(result).toEqual({ isError: true, body: { error: { code: TOOL_FAILED, message: "kaput" } } });
    const { items } = await store.sessions.messages("s");
    expect(items.map((m) => m.metadata?.kind)).toEqual(["tool_call", "tool_error"]);
    expect(await store.sessions.get("s")).toMatchObject({ lastToolCall: "boom" });
  });

  it("keeps each caller's cache entries apart by default: another user's text is never a hit", async () => {
    let computations = 0;
    const tool = defineSessionTool(
      store,
      "private_len",
      { inputSchema: z.object({ s: z.string() }), cache: { ttlSeconds: 60 } },
      ({ s }) => {
        computations++;
        return s.length;
      },
    );
    const ann = await open((server) => tool.register(server, { userId: "ann" }));
    const ben = await open((server) => tool.register(server, { userId: "ben" }));
    expect((await call(ann, "private_len", { s: "secret" })).body).toMatchObject({ cached: false });
    expect((await call(ben, "private_len", { s: "secret" })).body).toMatchObject({
      cached: false,
      hitCount: 0,
    });
    expect((await call(ben, "private_len", { s: "secret" })).body).toMatchObject({
      cached: true,
      hitCount: 1,
    });
    expect((await call(ann, "private_len", { s: "secret" })).body).toMatchObject({
      cached: true,
      hitCount: 1,
    });
    expect(computations).toBe(2);
  });

  it("maps session ids and tool errors through the caller's hooks", async () => {
    const tool = defineSessionTool(
      store,
      "len_mapped",
      { inputSchema: z.object({ s: z.string() }) },
      ({ s }) => s.length,
    );
    const failures: string[] = [];
    const client = await open((server) =>
      tool.register(server, {
        userId: "cy",
        storedSessionId: (id) => `cy/${id}`,
        toolError: (error, toolName) => {
          failures.push(toolName);
          return toolErrorResult(error);
        },
      }),
    );
    expect((await call(client, "len_mapped", { sessionId: "mine", s: "abc" })).body).toMatchObject({
      sessionId: "mine",
      result: 3,
    });
    expect(await store.sessions.get("cy/mine")).toMatchObject({ userId: "cy", messageCount: 2 });
    expect(await store.sessions.get("mine")).toBeNull();
    await store.sessions.create({ sessionId: "cy/other", userId: "someone-else" });
    expect((await call(client, "len_mapped", { sessionId: "other", s: "x" })).body).toMatchObject({
      error: { code: "NOT_FOUND" },
    });
    expect(failures).toEqual(["len_mapped"]);
  });

  it("defined once and registered per caller: each server acts for its caller, one shared cache wrapper", async () => {
    let computations = 0;
    const tool = defineSessionTool(
      store,
      "slow_len",
      { inputSchema: z.object({ s: z.string() }), cache: { ttlSeconds: 60, shared: true } },
      async ({ s }) => {
        computations++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return s.length;
      },
    );
    const ann = await open((server) => tool.register(server, { userId: "ann" }));
    const ben = await open((server) => tool.register(server, { userId: "ben" }));
    const [a, b] = await Promise.all([
      call(ann, "slow_len", { sessionId: "ann-s", s: "same" }),
      call(ben, "slow_len", { sessionId: "ben-s", s: "same" }),
    ]);
    expect([a.body.result, b.body.result]).toEqual([4, 4]);
    expect(computations).toBe(1);
    expect(await store.sessions.get("ann-s")).toMatchObject({ userId: "ann" });
    expect(await store.sessions.get("ben-s")).toMatchObject({ userId: "ben" });
    expect((await call(ben, "slow_len", { sessionId: "ann-s", s: "x" })).body).toMatchObject({
      error: { code: "NOT_FOUND" },
    });
  });

  it("publishes the tool's own arguments plus an optional sessionId", async () => {
    const client = await open((server) =>
      registerSessionTool(
        server,
        store,
        "greet",
        { description: "Say hello", inputSchema: z.object({ name: z.string() }) },
        ({ name }) => `hello ${name}`,
      ),
    );
    const { tools } = await client.listTools();
    expect(tools[0]).toMatchObject({ name: "greet", description: "Say hello" });
    expect(tools[0]?.inputSchema.required).toEqual(["name"]);
    expect(Object.keys(tools[0]?.inputSchema.properties ?? {}).sort()).toEqual(["name", "sessionId"]);
  });
});
