/**
 * The `agent-state` server's MCP tools over real Streamable HTTP (in-process server, memory store, the SDK
 * client), against a baseline measured in the same run: a bare MCP server on the same SDK HTTP stack whose
 * `echo` tool touches no store. The ratio (baseline ops/s ÷ tool ops/s) is what the session glue, the store and
 * the tool add on top of MCP itself. The last column counts store calls per tool call (exact, not timed).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { Bench } from "tinybench";
import { z } from "zod";
import { markdownTable, opsPerSecond } from "../../../bench/support.js";
import { loadConfig, silentLogger, startServer } from "../src/index.js";

const TOKEN = "bench-token-0123456789abcdef";

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { authProvider: { token: async () => TOKEN } }),
  );
  return client;
}

/** A bare MCP server on the same SDK HTTP stack: the protocol and transport cost alone. */
async function startBaseline(): Promise<{ url: string; http: Server }> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: "baseline", version: "0.0.0" });
    server.registerTool("echo", { inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({
      content: [{ type: "text", text }],
      structuredContent: { text },
    }));
    return server;
  });
  const node = toNodeHandler(handler);
  const http = createServer((req, res) => void node(req as never, res));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, http };
}

/** The store with every call to its sessions, tool cache and preferences counted (at the interface). */
function countingStore(store: StateStore): { store: StateStore; total(): number } {
  let calls = 0;
  const counted = <T extends object>(part: T): T =>
    new Proxy(part, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const wrapped: StateStore = {
    sessions: counted(store.sessions),
    toolCache: counted(store.toolCache),
    preferences: counted(store.preferences),
    records: counted(store.records),
    stats: () => store.stats(),
    close: () => store.close(),
  };
  return { store: wrapped, total: () => calls };
}

export default async function serverBench(): Promise<void> {
  const config = loadConfig(
    { store: "memory", port: "0" },
    { AGENT_STATE_ADMIN_TOKEN: "bench-admin-token-0123456789", AGENT_STATE_MCP_TOKENS: `bench:${TOKEN}` },
  );
  const counter = countingStore(new MemoryStateStore());
  const server = await startServer({ ...config, host: "127.0.0.1" }, silentLogger, {
    store: {
      store: counter.store,
      kind: "memory",
      description: "memory, calls counted",
      close: () => counter.store.close(),
    },
  });
  const baseline = await startBaseline();
  const client = await connect(server.url);
  const bare = await connect(baseline.url);

  const first = await client.callTool({ name: "word_count", arguments: { text: "the quick brown fox" } });
  const sessionId = (first.structuredContent as { sessionId: string }).sessionId;
  let unique = 0;
  const paths: { name: string; run: () => Promise<unknown> }[] = [
    {
      name: "baseline: bare MCP echo (no store)",
      run: () => bare.callTool({ name: "echo", arguments: { text: "hi" } }),
    },
    {
      name: "word_count, cache hit (glue)",
      run: () =>
        client.callTool({ name: "word_count", arguments: { sessionId, text: "the quick brown fox" } }),
    },
    {
      name: "word_count, cache miss (glue)",
      run: () =>
        client.callTool({ name: "word_count", arguments: { sessionId, text: `text number ${unique++}` } }),
    },
    { name: "session_get", run: () => client.callTool({ name: "session_get", arguments: { sessionId } }) },
    {
      name: "messages_append (1 message)",
      run: () =>
        client.callTool({
          name: "messages_append",
          arguments: { sessionId, messages: [{ role: "user", content: "hello" }] },
        }),
    },
  ];

  // Store calls per tool call: exact counts over a few calls, outside the timed runs.
  const storeCalls = new Map<string, number>();
  for (const path of paths) {
    const before = counter.total();
    for (let i = 0; i < 10; i++) await path.run();
    storeCalls.set(path.name, (counter.total() - before) / 10);
  }

  const bench = new Bench({ time: 1500, warmupTime: 300 });
  for (const path of paths) bench.add(path.name, path.run, { async: true });
  await bench.run();

  const baselineOps = opsPerSecond(bench.getTask(paths[0]?.name ?? ""));
  const rows = paths.map((path) => {
    const ops = opsPerSecond(bench.getTask(path.name));
    return [
      path.name,
      Math.round(ops).toLocaleString("en-US"),
      `${(baselineOps / ops).toFixed(2)}×`,
      String(storeCalls.get(path.name) ?? 0),
    ];
  });
  console.log(
    markdownTable(["MCP tool call over HTTP", "calls/s", "cost vs baseline", "store calls per call"], rows),
  );
  console.log(
    `\nnode ${process.version}, one client, sequential calls, ${bench.time} ms per task after warm-up`,
  );

  await client.close();
  await bare.close();
  await new Promise<void>((resolve) => baseline.http.close(() => resolve()));
  baseline.http.closeAllConnections();
  await server.stop();
}
