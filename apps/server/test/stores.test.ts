import { randomUUID } from "node:crypto";
import { type DynamoDbLocalServer, startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer, ServerConfig } from "../src/index.js";
import { ADMIN_TOKEN, ALICE_TOKEN, call, connectMcp, startTestServer } from "./helpers.js";

/** One MCP conversation and an admin read: the same on every store. */
async function roundTrip(server: RunningServer): Promise<void> {
  const client = await connectMcp(server.url, ALICE_TOKEN);
  try {
    const first = await call(client, "word_count", { text: `hello ${randomUUID()}` });
    await call(client, "messages_append", {
      sessionId: first.sessionId,
      messages: [{ role: "user", content: "thanks" }],
    });
    const res = await fetch(`${server.url}/state/sessions/${first.sessionId}`, {
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
