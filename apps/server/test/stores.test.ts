import { randomUUID } from "node:crypto";
import { type DynamoDbLocalServer, pickFreePort, startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer, ServerConfig } from "../src/index.js";
import {
  ADMIN_TOKEN,
  ALICE_TOKEN,
  call,
  callError,
  connectMcp,
  startTestServer,
  storedSessionId,
} from "./helpers.js";

/** One MCP conversation and an admin read: the same on every store. */
async function roundTrip(server: RunningServer): Promise<void> {
  const client = await connectMcp(server.url, ALICE_TOKEN);
  try {
    const first = await call(client, "word_count", { text: `hello ${randomUUID()}` });
    await call(client, "messages_append", {
      sessionId: first.sessionId,
      messages: [{ role: "user", content: "thanks" }],
    });
    const stored = encodeURIComponent(storedSessionId("alice", first.sessionId as string));
    const res = await fetch(`${server.url}/state/sessions/${stored}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(await res.json()).toMatchObject({ userId: "alice", messageCount: 3, lastToolCall: "word_count" });
    const stats = await fetch(`${server.url}/state/stats`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(((await stats.json()) as { activeSessions: number }).activeSessions).toBeGreaterThanOrEqual(1);
  } finally {
    await client.close();
  }
}

describe("--store redis", () => {
  let redis: RedisServerHandle;
  let server: RunningServer;

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startTestServer({ store: "redis", redisUrl: `redis://127.0.0.1:${redis.port}/0` });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.destroy();
  });

  it("serves MCP and the admin API on Redis", async () => {
    expect(server.opened.kind).toBe("redis");
    await roundTrip(server);
  });
});

describe("--store dynamodb", () => {
  let local: DynamoDbLocalServer;
  let server: RunningServer;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    // The AWS SDK's credential chain reads these; DynamoDB Local accepts any.
    process.env.AWS_ACCESS_KEY_ID = "local";
    process.env.AWS_SECRET_ACCESS_KEY = "local";
    const dynamodb: ServerConfig["dynamodb"] = {
      endpoint: local.endpoint,
      region: "us-east-1",
      tablePrefix: `t${randomUUID().slice(0, 8)}-`,
      createTables: true,
    };
    server = await startTestServer({ store: "dynamodb", dynamodb });
  });
  afterAll(async () => {
    await server?.stop();
    await local?.stop();
  });

  it("creates the prefixed tables and serves MCP and the admin API on DynamoDB", async () => {
    expect(server.opened.kind).toBe("dynamodb");
    expect(server.opened.description).toContain("-agent-sessions");
    await roundTrip(server);
  });
});

describe("backend failures reach clients as a code and a plain message only", () => {
  /** Log lines kept for the test, errors reduced as the JSON logger does. */
  const lines: Record<string, unknown>[] = [];
  const logger = {
    info() {},
    warn: (msg: string, fields: Record<string, unknown> = {}) => lines.push({ msg, ...fields }),
    error: (msg: string, fields: Record<string, unknown> = {}) => lines.push({ msg, ...fields }),
  };
  let deadPort: number;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    deadPort = await pickFreePort(); // nothing listens there
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  for (const kind of ["redis", "dynamodb"] as const) {
    it(`--store ${kind} on a dead port: MCP and admin answers name no endpoint, client or SDK detail`, async () => {
      process.env.AWS_ACCESS_KEY_ID = "local";
      process.env.AWS_SECRET_ACCESS_KEY = "local";
      const server = await startTestServer(
        {
          store: kind,
          redisUrl: `redis://127.0.0.1:${deadPort}/0`,
          dynamodb: {
            endpoint: `http://127.0.0.1:${deadPort}`,
            region: "us-east-1",
            tablePrefix: undefined,
            createTables: false,
          },
        },
        logger,
      );
      servers.push(server);
      const client = await connectMcp(server.url, ALICE_TOKEN);
      try {
        const leaks = new RegExp(
          `${deadPort}|127\\.0\\.0\\.1|ECONNREFUSED|ioredis|maxRetriesPerRequest|Command|http:`,
        );
        const mcpError = await callError(client, "session_create", { sessionId: "s" });
        expect(mcpError).toEqual({
          code: "UNAVAILABLE",
          message: "the store is unavailable; try again later",
        });
        const wordCount = await callError(client, "word_count", { text: "x" });
        expect(wordCount.code).toBe("UNAVAILABLE");
        expect(wordCount.message).not.toMatch(leaks);
        const res = await fetch(`${server.url}/state/sessions/s`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(res.status).toBe(503);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({
          error: { code: "UNAVAILABLE", message: "the store is unavailable; try again later" },
        });
        const health = await fetch(`${server.url}/healthz`);
        expect(health.status).toBe(503);
        expect(await health.text()).not.toMatch(leaks);
        // The details went to the server log.
        const logged = lines.filter((l) => l.msg === "mcp tool call failed" && l.code === "UNAVAILABLE");
        expect(logged.length).toBeGreaterThanOrEqual(2);
        expect(lines.some((l) => l.msg === "request failed" && l.code === "UNAVAILABLE")).toBe(true);
      } finally {
        await client.close();
      }
    });
  }
});
