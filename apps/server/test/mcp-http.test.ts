import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/index.js";
import {
  ADMIN_TOKEN,
  ALICE_TOKEN,
  BOB_TOKEN,
  call,
  callError,
  connectMcp,
  startTestServer,
} from "./helpers.js";

describe("MCP over Streamable HTTP", () => {
  let server: RunningServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await connectMcp(server.url, ALICE_TOKEN);
    bob = await connectMcp(server.url, BOB_TOKEN);
  });

  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.stop();
  });

  it("lists the tools with their input schemas", async () => {
    const { tools } = await alice.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([
      "cache_get",
      "cache_invalidate",
      "cache_set",
      "messages_append",
      "messages_list",
      "preferences_get",
      "preferences_patch",
      "session_create",
      "session_delete",
      "session_get",
      "sessions_list",
      "state_update",
      "word_count",
    ]);
    const wordCount = tools.find((t) => t.name === "word_count");
    expect(wordCount?.inputSchema.properties).toHaveProperty("text");
    expect(wordCount?.inputSchema.properties).toHaveProperty("sessionId");
    expect(wordCount?.inputSchema.required).toEqual(["text"]);
  });

  it("runs a multi-turn tool conversation and reads the state back", async () => {
    const created = await call(alice, "session_create", { agentId: "writer", state: { topic: "poems" } });
    const session = created.session as { sessionId: string; version: number; userId: string };
    expect(session).toMatchObject({ version: 1, userId: "alice" });
    const sessionId = session.sessionId;

    await call(alice, "messages_append", {
      sessionId,
      messages: [{ role: "user", content: "count the words of my poem" }],
    });
    const first = await call(alice, "word_count", { sessionId, text: "the cat sat on the mat" });
    expect(first).toMatchObject({
      sessionId,
      cached: false,
      hitCount: 0,
      result: { words: 6, uniqueWords: 5 },
    });
    const second = await call(alice, "word_count", { sessionId, text: "the cat sat on the mat" });
    expect(second).toMatchObject({ cached: true, hitCount: 1, result: { words: 6 } });
    const third = await call(alice, "word_count", { sessionId, text: "the cat sat on the mat" });
    expect(third).toMatchObject({ cached: true, hitCount: 2 });

    const updated = await call(alice, "state_update", {
      sessionId,
      state: { topic: "haiku" },
      expectedVersion: third.version as number,
    });
    expect((updated.session as { version: number }).version).toBe((third.version as number) + 1);
    const conflict = await callError(alice, "state_update", {
      sessionId,
      state: { topic: "x" },
      expectedVersion: 1,
    });
    expect(conflict.code).toBe("VERSION_CONFLICT");

    const read = await call(alice, "session_get", { sessionId, recentMessages: 3 });
    const readSession = read.session as {
      state: Record<string, unknown>;
      lastToolCall: string;
      messageCount: number;
      recentMessages: { role: string; content: string; metadata?: Record<string, unknown> }[];
    };
    expect(readSession.state).toEqual({ topic: "haiku" });
    expect(readSession.lastToolCall).toBe("word_count");
    expect(readSession.messageCount).toBe(7); // 1 user message + 3 calls × (call + result)
    expect(readSession.recentMessages.map((m) => m.role)).toEqual(["tool", "assistant", "tool"]);
    expect(readSession.recentMessages[2]?.metadata).toMatchObject({
      kind: "tool_result",
      cached: true,
      hitCount: 2,
    });

    const page1 = await call(alice, "messages_list", { sessionId, limit: 4 });
    const page2 = await call(alice, "messages_list", { sessionId, limit: 4, cursor: page1.cursor });
    const all = [...(page1.messages as { id: string }[]), ...(page2.messages as { id: string }[])];
    expect(all).toHaveLength(7);
    expect(page2.cursor).toBeNull();
    expect(new Set(all.map((m) => m.id)).size).toBe(7);

    const admin = await fetch(`${server.url}/state/sessions/${encodeURIComponent(sessionId)}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({
      sessionId,
      userId: "alice",
      messageCount: 7,
      state: { topic: "haiku" },
    });
  });

  it("word_count without a sessionId starts a session for the caller, checkpointing its state", async () => {
    const result = await call(alice, "word_count", { text: "one two" });
    const read = await call(alice, "session_get", { sessionId: result.sessionId });
    expect(read.session).toMatchObject({
      userId: "alice",
      version: 2,
      lastToolCall: "word_count",
      state: { wordCounts: 1, lastWordCount: { words: 2 } },
    });
  });

  it("keeps users apart: another user's session answers NOT_FOUND", async () => {
    const created = await call(alice, "session_create", {
      sessionId: "alice-private",
      state: { secret: 42 },
    });
    expect(created.session).toMatchObject({ sessionId: "alice-private" });
    for (const [tool, args] of [
      ["session_get", { sessionId: "alice-private" }],
      ["messages_list", { sessionId: "alice-private" }],
      ["messages_append", { sessionId: "alice-private", messages: [{ role: "user", content: "hi" }] }],
      ["state_update", { sessionId: "alice-private", state: {} }],
      ["session_delete", { sessionId: "alice-private" }],
      ["word_count", { sessionId: "alice-private", text: "x" }],
    ] as const) {
      const error = await callError(bob, tool, args);
      expect(error.code, tool).toBe("NOT_FOUND");
      expect(error.message).not.toContain("42");
    }
    const bobs = await call(bob, "sessions_list", {});
    expect((bobs.sessions as { sessionId: string }[]).map((s) => s.sessionId)).not.toContain("alice-private");
    const still = await call(alice, "session_get", { sessionId: "alice-private" });
    expect(still.session).toMatchObject({ state: { secret: 42 }, messageCount: 0, version: 1 });
  });

  it("keeps each user's tool cache and preferences apart", async () => {
    await call(alice, "cache_set", {
      toolName: "search",
      params: { q: "x" },
      value: "alice's",
      ttlSeconds: 60,
    });
    expect((await call(bob, "cache_get", { toolName: "search", params: { q: "x" } })).entry).toBeNull();
    const hit = await call(alice, "cache_get", { toolName: "search", params: { q: "x" } });
    expect(hit.entry).toMatchObject({ value: "alice's", hitCount: 1 });
    await call(bob, "cache_invalidate", { toolName: "search" });
    expect((await call(alice, "cache_get", { toolName: "search", params: { q: "x" } })).entry).toMatchObject({
      hitCount: 2,
    });
    await call(alice, "cache_invalidate", { toolName: "search", params: { q: "x" } });
    expect((await call(alice, "cache_get", { toolName: "search", params: { q: "x" } })).entry).toBeNull();

    await call(alice, "preferences_patch", { agentId: "writer", set: { tone: "dry", length: 3 } });
    const patched = await call(alice, "preferences_patch", { agentId: "writer", remove: ["length"] });
    expect(patched.preferences).toMatchObject({ userId: "alice", values: { tone: "dry" }, version: 2 });
    expect((await call(bob, "preferences_get", { agentId: "writer" })).preferences).toBeNull();
  });

  it("validates inputs: schema violations and store validation both come back as errors", async () => {
    const bad = await alice.callTool({ name: "session_get", arguments: { sessionId: "" } });
    expect(bad.isError).toBe(true);
    const control = await callError(alice, "session_create", { sessionId: "bad\u0001id" });
    expect(control.code).toBe("VALIDATION");
  });

  it("serves clients negotiating the 2026-07-28 protocol too, with the same per-user scoping", async () => {
    const modern = await connectMcp(server.url, BOB_TOKEN, { modern: true });
    try {
      expect(modern.getNegotiatedProtocolVersion()).toBe("2026-07-28");
      const result = await call(modern, "word_count", { text: "modern era call" });
      const read = await call(modern, "session_get", { sessionId: result.sessionId });
      expect(read.session).toMatchObject({ userId: "bob", messageCount: 2 });
      expect((await callError(modern, "session_get", { sessionId: "alice-private" })).code).toBe("NOT_FOUND");
    } finally {
      await modern.close();
    }
  });

  it("refuses MCP calls without a valid token", async () => {
    await expect(connectMcp(server.url, "not-a-token-0123456789")).rejects.toThrow();
    const raw = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
  });
});
