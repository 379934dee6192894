import { randomUUID } from "node:crypto";
import { codeOf } from "@agent-state/core/testing";
import { MAX_VALUE_BYTES, RedisStateStore, toStoreError } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("redis error mapping", () => {
  it("maps server replies and client failures to stable codes, keeping the original as cause", () => {
    const cases: [string, string][] = [
      ["OOM command not allowed when used memory > 'maxmemory'.", "THROTTLED"],
      ["BUSY Redis is busy running a script.", "THROTTLED"],
      ["LOADING Redis is loading the dataset in memory", "UNAVAILABLE"],
      ["CLUSTERDOWN The cluster is down", "UNAVAILABLE"],
      ["READONLY You can't write against a read only replica.", "UNAVAILABLE"],
      ["Connection is closed.", "UNAVAILABLE"],
      ["Command timed out", "UNAVAILABLE"],
      ["ERR something unexpected", "UNAVAILABLE"],
    ];
    for (const [message, code] of cases) {
      const original = new Error(message);
      const mapped = toStoreError(original, "op");
      expect({ message, code: (mapped as { code?: string }).code }).toEqual({ message, code });
      expect(mapped.cause).toBe(original);
    }
  });
});

describe("redis errors from a real server", () => {
  let server: RedisServerHandle;
  let admin: Redis;
  let store: RedisStateStore;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis({ host: server.host, port: server.port });
    store = new RedisStateStore({
      redisOptions: { host: server.host, port: server.port },
      keyPrefix: `err-${randomUUID()}:`,
    });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await admin?.quit();
    await server?.destroy();
  });

  it("out of memory: writes are THROTTLED with nothing written, reads still work", async () => {
    await store.sessions.create({ sessionId: "s" });
    await admin.config("SET", "maxmemory", "1");
    try {
      expect(await codeOf(store.sessions.append("s", { role: "user", content: "x" }))).toBe("THROTTLED");
      expect(await codeOf(store.preferences.patch("u", "a", { k: 1 }))).toBe("THROTTLED");
      expect(await codeOf(store.sessions.create({ sessionId: "t" }))).toBe("THROTTLED");
      expect((await store.sessions.get("s", { recentMessages: 5 }))?.recentMessages).toEqual([]);
    } finally {
      await admin.config("SET", "maxmemory", "0");
    }
    expect((await store.sessions.get("s"))?.messageCount).toBe(0);
    expect(await store.sessions.get("t")).toBeNull();
    expect(await store.preferences.get("u", "a")).toBeNull();
  });

  it("a long script elsewhere: calls get BUSY as THROTTLED, and work once it is killed", async () => {
    await admin.config("SET", "busy-reply-threshold", "10");
    const blocker = new Redis({ host: server.host, port: server.port });
    await blocker.ping();
    const blocked = blocker.eval("while true do end", 0).catch((error: unknown) => error);
    // The script runs once the server answers BUSY to others; until then PING succeeds.
    while (
      await admin.ping().then(
        () => true,
        () => false,
      )
    ) {}
    try {
      expect(await codeOf(store.sessions.get("s"))).toBe("THROTTLED");
    } finally {
      await admin.script("KILL");
      await blocked;
      blocker.disconnect();
    }
    expect((await store.sessions.get("s"))?.sessionId).toBe("s");
  });

  it("a value over MAX_VALUE_BYTES is refused with ITEM_TOO_LARGE before anything is sent", async () => {
    const huge = "x".repeat(MAX_VALUE_BYTES + 1);
    expect(await codeOf(store.toolCache.set("big", {}, huge, { ttlSeconds: 60 }))).toBe("ITEM_TOO_LARGE");
    expect(await store.toolCache.get("big", {})).toBeNull();
  });
});
