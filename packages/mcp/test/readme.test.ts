import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { StateStore } from "@agent-state/core";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import type { McpServer } from "@modelcontextprotocol/server";
import { afterAll, expect, it } from "vitest";

const readme = new URL("../README.md", import.meta.url);
// Inside the package, so the example's imports resolve like a user's would; removed afterwards.
const workDir = new URL("./.readme-run/", import.meta.url);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

it("the README's first example registers a working session tool", async () => {
  const code = /```ts\n([\s\S]*?)```/.exec(readFileSync(readme, "utf8"))?.[1];
  expect(code).toBeDefined();
  mkdirSync(workDir, { recursive: true });
  const file = new URL("example.ts", workDir);
  writeFileSync(file, `${code}\nexport { server, store };\n`);
  const { server, store } = (await import(/* @vite-ignore */ file.href)) as {
    server: McpServer;
    store: StateStore;
  };

  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "readme", version: "0.0.0" });
  await client.connect(clientTransport);
  try {
    const first = await client.callTool({ name: "convert_temperature", arguments: { celsius: 100 } });
    expect(first.structuredContent).toMatchObject({ result: 212, cached: false });
    const sessionId = (first.structuredContent as { sessionId: string }).sessionId;
    const second = await client.callTool({
      name: "convert_temperature",
      arguments: { sessionId, celsius: 100 },
    });
    expect(second.structuredContent).toMatchObject({ result: 212, cached: true, hitCount: 1 });
    expect(await store.sessions.get(sessionId)).toMatchObject({ userId: "alice", state: { conversions: 2 } });
  } finally {
    await client.close();
    await store.close();
  }
});
