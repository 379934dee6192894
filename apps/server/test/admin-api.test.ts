import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/index.js";
import { ADMIN_TOKEN, startTestServer } from "./helpers.js";

/** Sends `path` exactly as given (fetch would normalise it) and resolves with the status and body. */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("admin HTTP API", () => {
  let server: RunningServer;
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

  const get = (path: string, headers: Record<string, string> = auth) =>
    fetch(`${server.url}${path}`, { headers });
  const del = (path: string, headers: Record<string, string> = auth) =>
    fetch(`${server.url}${path}`, { method: "DELETE", headers });

  beforeAll(async () => {
    server = await startTestServer();
    const { store } = server.opened;
    await store.sessions.create({ sessionId: "s/1", userId: "carol", agentId: "a", state: { step: 1 } });
    await store.sessions.append(
      "s/1",
      Array.from({ length: 25 }, (_, i) => ({ role: "user" as const, content: `message ${i}` })),
    );
    for (let i = 0; i < 3; i++) await store.sessions.create({ sessionId: `carol-${i}`, userId: "carol" });
    await store.toolCache.set("weather", { city: "Oslo" }, { c: 3 }, { ttlSeconds: 60 });
    await store.toolCache.set("weather", { city: "Rome" }, { c: 20 }, { ttlSeconds: 60 });
    await store.toolCache.set("news", { q: "x" }, [], { ttlSeconds: 60 });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("GET /healthz needs no token", async () => {
    const res = await get("/healthz", {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", store: "memory" });
  });

  it("GET /openapi.json describes every admin route", async () => {
    const res = await get("/openapi.json", {});
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/healthz",
        "/state/stats",
        "/state/sessions/{sessionId}",
        "/state/sessions/{sessionId}/conversation",
        "/state/cache/{toolName}",
        "/state/users/{userId}/sessions",
      ]),
    );
  });

  it("refuses /state routes without the admin token, with a wrong one, or another scheme", async () => {
    for (const headers of [
      {},
      { authorization: "Bearer wrong-token" },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: `Basic ${ADMIN_TOKEN}` },
    ]) {
      for (const res of [await get("/state/stats", headers), await del("/state/sessions/s%2F1", headers)]) {
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        expect(await res.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
      }
    }
    expect((await get("/state/sessions/s%2F1")).status).toBe(200); // nothing was deleted
  });

  it("GET /state/stats counts live sessions and cache entries", async () => {
    const res = await get("/state/stats");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ activeSessions: 4, cacheEntries: 3, approximate: false });
  });

  it("GET /state/sessions/:id returns the session (ids percent-decoded), with recentMessages on request", async () => {
    const res = await get("/state/sessions/s%2F1?recentMessages=2");
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      sessionId: string;
      messageCount: number;
      recentMessages: { content: string }[];
    };
    expect(body).toMatchObject({ sessionId: "s/1", userId: "carol", state: { step: 1 }, messageCount: 25 });
    expect(body.recentMessages.map((m) => m.content)).toEqual(["message 23", "message 24"]);
  });

  it("answers 404 NOT_FOUND for a missing session and 400 VALIDATION for bad ids and parameters", async () => {
    const missing = await get("/state/sessions/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "NOT_FOUND", message: 'session "nope" not found' },
    });

    for (const path of [
      `/state/sessions/${"x".repeat(257)}`,
      "/state/sessions/bad%00id",
      "/state/sessions/%E0%A4%A",
      "/state/sessions/s%2F1/conversation?limit=0",
      "/state/sessions/s%2F1/conversation?limit=abc",
      "/state/sessions/s%2F1/conversation?order=sideways",
      "/state/sessions/s%2F1/conversation?cursor=forged",
      "/state/users/%01/sessions",
      "/state/sessions/s%2F1?recentMessages=-1",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe("VALIDATION");
    }
  });

  it("GET /state/sessions/:id/conversation pages through every message, capping the page size", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string =
        cursor === null ? "limit=1000" : `limit=1000&cursor=${encodeURIComponent(cursor)}`;
      const res = await get(`/state/sessions/s%2F1/conversation?${query}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { messages: { content: string }[]; cursor: string | null };
      expect(body.messages.length).toBeLessThanOrEqual(20); // the server's cap in these tests
      seen.push(...body.messages.map((m) => m.content));
      cursor = body.cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `message ${i}`));

    const newest = await get("/state/sessions/s%2F1/conversation?limit=1&order=desc");
    expect(((await newest.json()) as { messages: { content: string }[] }).messages[0]?.content).toBe(
      "message 24",
    );
    expect((await get("/state/sessions/nope/conversation")).status).toBe(404);
  });

  it("GET /state/users/:userId/sessions lists a user's sessions page by page", async () => {
    const first = await get("/state/users/carol/sessions?limit=3");
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { sessions: { sessionId: string }[]; cursor: string };
    expect(page1.sessions).toHaveLength(3);
    const second = await get(
      `/state/users/carol/sessions?limit=3&cursor=${encodeURIComponent(page1.cursor)}`,
    );
    const page2 = (await second.json()) as { sessions: { sessionId: string }[]; cursor: string | null };
    expect(page2.cursor).toBeNull();
    expect([...page1.sessions, ...page2.sessions].map((s) => s.sessionId).sort()).toEqual([
      "carol-0",
      "carol-1",
      "carol-2",
      "s/1",
    ]);
    const nobody = await get("/state/users/nobody/sessions");
    expect(await nobody.json()).toEqual({ userId: "nobody", sessions: [], cursor: null });
  });

  it("DELETE /state/cache/:toolName invalidates that tool only", async () => {
    const res = await del("/state/cache/weather");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ toolName: "weather", invalidated: true });
    expect(await server.opened.store.toolCache.get("weather", { city: "Oslo" })).toBeNull();
    expect(await server.opened.store.toolCache.get("news", { q: "x" })).not.toBeNull();
    expect((await del(`/state/cache/${"t".repeat(129)}`)).status).toBe(400);
  });

  it("DELETE /state/sessions/:id removes the session and its messages; a second delete is 404", async () => {
    await server.opened.store.sessions.create({ sessionId: "doomed", userId: "dave" });
    await server.opened.store.sessions.append("doomed", { role: "user", content: "bye" });
    const res = await del("/state/sessions/doomed");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sessionId: "doomed", deleted: true });
    expect((await get("/state/sessions/doomed")).status).toBe(404);
    expect((await get("/state/sessions/doomed/conversation")).status).toBe(404);
    expect((await del("/state/sessions/doomed")).status).toBe(404);
  });

  it("answers unknown routes 404 and wrong methods 405, both as JSON errors", async () => {
    const unknown = await get("/state/nothing-here");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "ROUTE_NOT_FOUND" } });
    const wrongMethod = await fetch(`${server.url}/state/stats`, { method: "DELETE", headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ error: { code: "METHOD_NOT_ALLOWED" } });
  });

  it("normalises no path: doubled slashes, dot segments and backslashes are 404, not another route", async () => {
    for (const path of [
      "//x/state/stats",
      "//state/stats",
      "/state//stats",
      "/x/../state/stats",
      "/state/./stats",
      "/state/%2e%2e/state/stats",
      "/state\\stats",
      "//healthz",
      "/healthz/",
    ]) {
      const res = await rawRequest(server.port, "GET", path, auth);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body), path).toMatchObject({ error: { code: "ROUTE_NOT_FOUND" } });
    }
    expect((await rawRequest(server.port, "GET", "/state/stats?x=1", auth)).status).toBe(200);
  });

  it("answers HEAD wherever it answers GET, with the GET's status and headers and no body", async () => {
    for (const [path, headers] of [
      ["/healthz", {}],
      ["/openapi.json", {}],
      ["/state/stats", auth],
      ["/state/sessions/s%2F1", auth],
      ["/state/sessions/s%2F1/conversation", auth],
      ["/state/users/carol/sessions", auth],
    ] as const) {
      const viaGet = await rawRequest(server.port, "GET", path, headers);
      const viaHead = await rawRequest(server.port, "HEAD", path, headers);
      expect(viaGet.status, path).toBe(200);
      expect(viaHead.status, path).toBe(200);
      expect(viaHead.body, path).toBe("");
      expect(viaHead.headers["content-type"], path).toBe(viaGet.headers["content-type"]);
    }
    expect((await rawRequest(server.port, "HEAD", "/state/stats", {})).status).toBe(401);
    expect((await rawRequest(server.port, "HEAD", "/state/sessions/missing", auth)).status).toBe(404);
    expect((await rawRequest(server.port, "HEAD", "/nothing", {})).status).toBe(404);
  });

  it("refuses oversized bodies with 413 on the admin API and on /mcp", async () => {
    const big = "x".repeat(70_000); // over the 64 KiB limit of the test server
    for (const path of ["/state/stats", "/mcp"]) {
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: big,
      });
      expect(res.status, path).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    }
  });
});
