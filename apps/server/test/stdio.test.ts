import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH } from "./bin.js";
import { call } from "./helpers.js";

describe("agent-state mcp --stdio (the built bin)", () => {
  let client: Client;
  let transport: StdioClientTransport;

  beforeAll(async () => {
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, "mcp", "--stdio", "--store", "memory"],
      env: { PATH: process.env.PATH ?? "", AGENT_STATE_LOCAL_USER: "desktop-user" },
      stderr: "pipe",
    });
    client = new Client({ name: "stdio-test", version: "0.0.0" });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it("runs a multi-turn conversation and reads the state back", async () => {
    const { session } = (await call(client, "session_create", {
      agentId: "notes",
      state: { mood: "ok" },
    })) as {
      session: { sessionId: string; userId: string };
    };
    expect(session.userId).toBe("desktop-user");
    const { sessionId } = session;
    await call(client, "messages_append", {
      sessionId,
      messages: [
        { role: "user", content: "how many words?" },
        { role: "assistant", content: "let me count" },
      ],
    });
    const counted = await call(client, "word_count", { sessionId, text: "a b c" });
    expect(counted).toMatchObject({ cached: false, result: { words: 3 } });
    expect(await call(client, "word_count", { sessionId, text: "a b c" })).toMatchObject({
      cached: true,
      hitCount: 1,
    });
    await call(client, "preferences_patch", { agentId: "notes", set: { theme: "dark" } });

    const read = (await call(client, "session_get", { sessionId, recentMessages: 10 })) as {
      session: {
        messageCount: number;
        lastToolCall: string;
        state: Record<string, unknown>;
        recentMessages: { content: string }[];
      };
    };
    expect(read.session).toMatchObject({
      messageCount: 6,
      lastToolCall: "word_count",
      state: { mood: "ok", wordCounts: 2 },
    });
    expect(read.session.recentMessages[0]?.content).toBe("how many words?");
    expect(await call(client, "preferences_get", { agentId: "notes" })).toMatchObject({
      preferences: { userId: "desktop-user", values: { theme: "dark" } },
    });
  });
});
