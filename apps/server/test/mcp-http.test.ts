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
  storedSessionId,
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

    const admin = await fetch(
      `${server.url}/state/sessions/${encodeURIComponent(storedSessionId("alice", sessionId))}`,
      {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      },
    );
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({
      sessionId: storedSessionId("alice", sessionId),
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

  it("gives each user their own session id space: Alice's id is free to Bob, and nothing reveals it", async () => {
    await call(alice, "session_create", { sessionId: "shared-name", state: { owner: "alice" } });
    // Before: ALREADY_EXISTS (and Bob could pre-claim ids Alice would choose).
    const bobs = await call(bob, "session_create", { sessionId: "shared-name", state: { owner: "bob" } });
    expect(bobs.session).toMatchObject({ sessionId: "shared-name", userId: "bob", state: { owner: "bob" } });
    expect((await call(alice, "session_get", { sessionId: "shared-name" })).session).toMatchObject({
      sessionId: "shared-name",
      state: { owner: "alice" },
    });
    expect((await call(bob, "session_get", { sessionId: "shared-name" })).session).toMatchObject({
      state: { owner: "bob" },
    });
    // Bob pre-claiming an id does not stop Alice from using it, also through word_count.
    await call(bob, "word_count", { sessionId: "claimed-first", text: "bob was here" });
    const alicesCount = await call(alice, "word_count", { sessionId: "claimed-first", text: "mine" });
    expect(alicesCount).toMatchObject({ sessionId: "claimed-first", messageCount: 2 });
    const listed = await call(alice, "sessions_list", { limit: 20 });
    const ids = (listed.sessions as { sessionId: string }[]).map((s) => s.sessionId);
    expect(ids).toContain("shared-name");
    expect(ids.every((id) => !id.includes("alice"))).toBe(true);
    const conflict = await callError(alice, "session_create", { sessionId: "shared-name" });
    expect(conflict).toEqual({ code: "ALREADY_EXISTS", message: 'session "shared-name" already exists' });
    // The user-visible id is checked so that the stored one fits: alice may use 256 - "5:alice:".length.
    const longest = "x".repeat(256 - 8);
    expect((await call(alice, "session_create", { sessionId: longest })).session).toMatchObject({
      sessionId: longest,
    });
    const tooLong = await callError(alice, "session_create", { sessionId: `${longest}x` });
    expect(tooLong).toEqual({ code: "VALIDATION", message: "sessionId: must be at most 248 characters" });
    expect((await callError(alice, "word_count", { sessionId: `${longest}x`, text: "a" })).code).toBe(
      "VALIDATION",
    );
  });

  it("keeps word_count's cache per user: Bob never sees a hit for Alice's text", async () => {
    const text = `alice's private draft ${Math.random()}`;
    expect(await call(alice, "word_count", { text })).toMatchObject({ cached: false });
    expect(await call(alice, "word_count", { text })).toMatchObject({ cached: true, hitCount: 1 });
    expect(await call(bob, "word_count", { text })).toMatchObject({ cached: false, hitCount: 0 });
    expect(await call(bob, "word_count", { text })).toMatchObject({ cached: true, hitCount: 1 });
  });

  it("messages_append with replace rewrites the newest turn atomically, guarded by expectedLastMessageId", async () => {
    await call(alice, "session_create", { sessionId: "edits" });
    const appended = await call(alice, "messages_append", {
      sessionId: "edits",
      messages: [
        { role: "user", content: "question" },
        { role: "assistant", content: "first answer" },
      ],
    });
    const [question, answer] = appended.messages as { id: string; content: string }[];
    const regenerated = await call(alice, "messages_append", {
      sessionId: "edits",
      messages: [{ role: "assistant", content: "better answer" }],
      replace: { afterMessageId: question!.id },
      expectedLastMessageId: answer!.id,
    });
    const listed = await call(alice, "messages_list", { sessionId: "edits" });
    expect((listed.messages as { content: string }[]).map((m) => m.content)).toEqual([
      "question",
      "better answer",
    ]);
    // The answer it expected is gone now: a second edit based on it conflicts and changes nothing.
    expect(
      await callError(alice, "messages_append", {
        sessionId: "edits",
        messages: [{ role: "assistant", content: "stale edit" }],
        replace: { removeLast: 1 },
        expectedLastMessageId: answer!.id,
      }),
    ).toMatchObject({ code: "VERSION_CONFLICT" });
    for (const replace of [
      { removeLast: -1 },
      { afterMessageId: "nope" },
      { removeLast: 1, afterMessageId: "x" },
    ]) {
      const error = await callError(alice, "messages_append", {
        sessionId: "edits",
        messages: [{ role: "user", content: "x" }],
        replace,
      });
      console.log("CODE", JSON.stringify(replace), JSON.stringify(error));
    }
    const after = await call(alice, "messages_list", { sessionId: "edits" });
    expect(after.messages).toEqual(listed.messages);
    expect(regenerated.messages).toEqual([(listed.messages as unknown[])[1]]);
  });

  it("keeps __proto__ keys of state, metadata, cache params and values, and preferences", async () => {
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as Record<string, unknown>;
    const created = await call(alice, "session_create", { sessionId: "proto", state: payload });
    const state = (created.session as { state: Record<string, unknown> }).state;
    expect(Object.keys(state)).toEqual(["__proto__", "plain"]);
    expect(Object.getOwnPropertyDescriptor(state, "__proto__")?.value).toEqual({ polluted: true });
    await call(alice, "messages_append", {
      sessionId: "proto",
      messages: [{ role: "user", content: "hi", metadata: payload }],
    });
    const listed = await call(alice, "messages_list", { sessionId: "proto" });
    const metadata = (listed.messages as { metadata: Record<string, unknown> }[])[0]?.metadata ?? {};
    expect(Object.keys(metadata)).toEqual(["__proto__", "plain"]);
    const read = await call(alice, "session_get", { sessionId: "proto" });
    expect(Object.keys((read.session as { state: object }).state)).toEqual(["__proto__", "plain"]);

    await call(alice, "cache_set", { toolName: "t", params: payload, value: payload, ttlSeconds: 60 });
    // Only the params with the __proto__ key hit: it is part of the key, not dropped.
    expect((await call(alice, "cache_get", { toolName: "t", params: { plain: 1 } })).entry).toBeNull();
    const hit = (await call(alice, "cache_get", { toolName: "t", params: payload })).entry as {
      value: Record<string, unknown>;
    };
    expect(Object.keys(hit.value)).toEqual(["__proto__", "plain"]);

    const prefs = await call(alice, "preferences_patch", { agentId: "proto-agent", set: payload });
    expect(Object.keys((prefs.preferences as { values: object }).values).sort()).toEqual([
      "__proto__",
      "plain",
    ]);
    // No prototype was polluted on the way.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("preferences_patch removes a key named __proto__ (and only it)", async () => {
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as Record<string, unknown>;
    await call(alice, "preferences_patch", { agentId: "proto-remove", set: payload });
    const removed = await call(alice, "preferences_patch", {
      agentId: "proto-remove",
      remove: ["__proto__"],
    });
    expect(Object.keys((removed.preferences as { values: object }).values)).toEqual(["plain"]);
    const read = await call(alice, "preferences_get", { agentId: "proto-remove" });
    expect(Object.keys((read.preferences as { values: object }).values)).toEqual(["plain"]);
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
    ] as const) {
      const error = await callError(bob, tool, args);
      expect(error.code, tool).toBe("NOT_FOUND");
      expect(error.message).not.toContain("42");
    }
    const bobs = await call(bob, "sessions_list", {});
    expect((bobs.sessions as { sessionId: string }[]).map((s) => s.sessionId)).not.toContain("alice-private");
    // The same id in word_count is Bob's own, new session; Alice's is untouched.
    expect(await call(bob, "word_count", { sessionId: "alice-private", text: "x" })).toMatchObject({
      messageCount: 2,
    });
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
      await call(alice, "session_create", { sessionId: "alice-modern" });
      expect((await callError(modern, "session_get", { sessionId: "alice-modern" })).code).toBe("NOT_FOUND");
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
