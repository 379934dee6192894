import { randomUUID } from "node:crypto";
import { codeOf } from "@agent-state/core/testing";
import { RedisStateStore } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: RedisServerHandle;
let store: RedisStateStore;

beforeAll(async () => {
  // appendfsync always: every acknowledged write is on disk before its reply.
  server = await startRedisServer({ appendOnly: true });
  store = new RedisStateStore({
    redisOptions: { host: server.host, port: server.port },
    keyPrefix: `restart-${randomUUID()}:`,
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await server?.destroy();
});

function whenReady(store: RedisStateStore): Promise<void> {
  const client = store.client;
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => client.once("ready", () => resolve()));
}

describe("redis: a restart of redis-server mid-run", () => {
  it("fails fast with UNAVAILABLE during the outage, works again after, and keeps every acknowledged write", async () => {
    await store.sessions.create({ sessionId: "durable", userId: "u", state: { step: 0 } });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.sessions.append("durable", { role: "user", content: `m${i}` }),
      ),
    );
    await store.sessions.update("durable", { state: { step: 1 } }, { expectedVersion: 1 });
    await store.toolCache.set("search", { q: "redis" }, { hits: 3 }, { ttlSeconds: 600 });
    await store.preferences.patch("u", "agent", { theme: "dark" });

    await server.stop({ kill: true });

    const duringOutage = [
      store.sessions.get("durable"),
      store.sessions.append("durable", { role: "user", content: "lost?" }),
      store.toolCache.get("search", { q: "redis" }),
      store.preferences.patch("u", "agent", { font: 14 }),
      store.stats(),
    ];
    const codes = await Promise.all(duringOutage.map((p) => codeOf(p)));
    expect(codes).toEqual(["UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
    const error = await store.sessions.get("durable").catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(Error);

    await server.start();
    await whenReady(store);

    const session = await store.sessions.get("durable", { recentMessages: 1000 });
    expect(session).toMatchObject({ version: 2, state: { step: 1 } });
    // The append during the outage failed before reaching Redis; the 40 acknowledged ones are all there.
    expect(session?.messageCount).toBe(40);
    expect(new Set(session?.recentMessages?.map((m) => m.content))).toEqual(
      new Set(Array.from({ length: 40 }, (_, i) => `m${i}`)),
    );
    expect((await store.toolCache.get("search", { q: "redis" }))?.value).toEqual({ hits: 3 });
    expect((await store.preferences.get("u", "agent"))?.values).toEqual({ theme: "dark" });
    expect((await store.sessions.listByUser("u")).items.map((s) => s.sessionId)).toEqual(["durable"]);
    const [appended] = await store.sessions.append("durable", { role: "assistant", content: "back" });
    expect(appended?.id).toBe("m000000000041");
  });
});

describe("redis: a write in flight when the server dies", () => {
  it("fails as UNAVAILABLE and is not applied later, after reconnecting", async () => {
    const inFlight = new RedisStateStore({
      redisOptions: { host: server.host, port: server.port, commandTimeout: 1000 },
      keyPrefix: `in-flight-${randomUUID()}:`,
    });
    try {
      await inFlight.sessions.create({ sessionId: "s" });
      // A script that never ends, with no BUSY replies: the server reads no other command until it dies.
      const admin = new Redis({ host: server.host, port: server.port });
      await admin.config("SET", "busy-reply-threshold", "0");
      const blocker = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0 });
      blocker.on("error", () => {});
      await blocker.ping();
      const blocked = blocker.eval("while true do end", 0).catch((error: unknown) => error);
      admin.disconnect();

      const append = codeOf(inFlight.sessions.append("s", { role: "user", content: "unknown outcome" }));
      await server.stop({ kill: true });
      await blocked;
      blocker.disconnect();
      await server.start();
      await whenReady(inFlight);

      expect(await append).toBe("UNAVAILABLE");
      // Had the append been re-sent on reconnect, it would have run before this read.
      expect((await inFlight.sessions.get("s"))?.messageCount).toBe(0);
      await inFlight.sessions.append("s", { role: "user", content: "after" });
      expect((await inFlight.sessions.messages("s")).items.map((m) => m.content)).toEqual(["after"]);
    } finally {
      await inFlight.close();
    }
  });
});
