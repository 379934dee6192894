import type { StateStore } from "@agent-state/core";
import { runMarkdownExample } from "@agent-state/core/testing";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import type { McpServer } from "@modelcontextprotocol/server";
import { expect, it } from "vitest";

it("the README's first example registers a working session tool", async () => {
  const { module } = await runMarkdownExample(
    new URL("../README.md", import.meta.url),
    "# @agent-state/mcp",
    {
      append: "export { server, store };",
    },
  );
  const { server, store } = module as { server: McpServer; store: StateStore };

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
