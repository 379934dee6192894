import { randomUUID } from "node:crypto";
import { codeOf } from "@agent-state/core/testing";
import { RedisStateStore } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MiB = 1024 * 1024;
const COMMAND_TIMEOUT_MS = 300;
const PAUSE_MS = 1_200;

let server: RedisServerHandle;
let store: RedisStateStore;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  store = new RedisStateStore({
    redisOptions: { host: server.host, port: server.port, commandTimeout: COMMAND_TIMEOUT_MS },
    keyPrefix: `deadline-${randomUUID()}:`,
  });
  admin = new Redis({ host: server.host, port: server.port });
}, 60_000);

afterAll(async () => {
  admin?.disconnect();
  await store?.close();
  await server?.destroy();
});

describe("redis: a large write's reply deadline grows with its size", () => {
  it(`while writes are paused for ${PAUSE_MS} ms, a small append times out at ${COMMAND_TIMEOUT_MS} ms and a 3 MiB one waits and lands`, async () => {
    await store.sessions.create({ sessionId: "big" });
    await store.sessions.append("big", { role: "user", content: "warm" }); // the script is cached: one EVALSHA each
    const large = "x".repeat(3 * MiB); // 300 ms + 3 × 1,000 ms
    await admin.call("CLIENT", "PAUSE", String(PAUSE_MS), "WRITE");
    const [small, big] = await Promise.all([
      codeOf(store.sessions.append("big", { role: "user", content: "small" })),
      store.sessions.append("big", { role: "tool", content: large }),
    ]);
    expect(small).toBe("UNAVAILABLE");
    expect(big[0]?.content.length).toBe(3 * MiB);
    const session = await store.sessions.get("big", { recentMessages: 3 });
    // The small one's outcome was unknown to its caller: it was on the wire and ran once the pause ended.
    expect(session?.recentMessages?.map((m) => m.content.length)).toEqual([4, 5, 3 * MiB]);
  });
});
