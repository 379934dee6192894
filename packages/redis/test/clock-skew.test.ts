import { randomUUID } from "node:crypto";
import { ManualClock } from "@agent-state/core/testing";
import { PHYSICAL_EXPIRY_MARGIN_MS, RedisStateStore } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandMonitor, expiryDeadline } from "./command-monitor.js";

const DAY_MS = 24 * 3600 * 1000;
const TTL_SECONDS = 600;

// Issue 12, item 8: Redis's own expiry must not follow the app's clock. An expiry time computed from a clock
// far behind the server's lies in the past (Redis deletes the key at once); from a clock far ahead it keeps
// garbage for as long as the skew. Every expiry counts from the server's own time (relative PEXPIRE, or
// PEXPIREAT of the server's TIME read in the script), which leaves only the logical expiry to the clock.
describe("redis: a store's clock far from the server's", () => {
  let server: RedisServerHandle;
  let probe: Redis;
  let monitor: CommandMonitor;
  beforeAll(async () => {
    server = await startRedisServer();
    probe = new Redis({ host: server.host, port: server.port });
    monitor = await CommandMonitor.open(server.host, server.port);
  }, 60_000);
  afterAll(async () => {
    await monitor?.close();
    await probe?.quit();
    await server?.destroy();
  });

  for (const [name, skew] of [
    ["30 days behind", -30 * DAY_MS],
    ["30 days ahead of", 30 * DAY_MS],
  ] as const) {
    it(`a clock ${name} the server's keeps every record live for its ttl, and Redis keeps it no longer`, async () => {
      const keyPrefix = `skew-${randomUUID()}:`;
      const clock = new ManualClock(Date.now() + skew);
      const store = new RedisStateStore({
        redis: probe,
        keyPrefix,
        clock: clock.now,
        ttlSeconds: { session: TTL_SECONDS, preferences: TTL_SECONDS },
      });
      const ttl = { ttlSeconds: TTL_SECONDS };
      const serverBefore = await monitor.serverNowMs();
      const seen = await monitor.duringWithScripts(async () => {
        await store.sessions.create({ sessionId: "s", userId: "u" });
        await store.sessions.append("s", [
          { role: "user", content: "a" },
          { role: "user", content: "b" },
        ]);
        await store.sessions.append("s", { role: "user", content: "c" }, { idempotencyKey: "k" });
        await store.sessions.truncate("s", { removeLast: 1 });
        await store.sessions.update("s", { state: { step: 1 } });
        await store.toolCache.set("tool", { q: 1 }, "result", ttl);
        await store.preferences.patch("u", "agent", { theme: "dark" });
        await store.records.write("scope", [
          { put: "r", value: 1, ...ttl },
          { put: "r2", value: 2, ...ttl },
        ]);
      });
      const serverAfter = await monitor.serverNowMs();

      // Every expiry Redis was given lands exactly the remaining ttl plus the margin after the server's time
      // while the calls ran (the user index: until the session's registration, one ttl later), whichever
      // command set it: a time from the store's clock (30 days off) fails this. Only PEXPIRE and PEXPIREAT
      // set any (no seconds-based command or SET option that this check would miss).
      const otherExpiries = seen.filter(
        (c) => /EXPIRE|SETEX|GETEX/.test(c.name) && !["PEXPIRE", "PEXPIREAT", "PEXPIRETIME"].includes(c.name),
      );
      expect(otherExpiries).toEqual([]);
      const physical = TTL_SECONDS * 1000 + PHYSICAL_EXPIRY_MARGIN_MS;
      const userIndex = 2 * TTL_SECONDS * 1000 + PHYSICAL_EXPIRY_MARGIN_MS;
      const deadlines = seen.flatMap((c) => expiryDeadline(c, serverBefore, serverAfter) ?? []);
      expect(deadlines.length).toBeGreaterThan(10);
      for (const { key, earliest, latest } of deadlines) {
        const ms = key.includes("u:{u}") ? userIndex : physical;
        expect({ key, fromServerTime: earliest >= serverBefore + ms && latest <= serverAfter + ms }).toEqual({
          key,
          fromServerTime: true,
        });
      }

      // Everything is there, to the store and to Redis.
      const session = await store.sessions.get("s", { recentMessages: 10 });
      expect(session?.recentMessages?.map((m) => m.content)).toEqual(["a", "b"]);
      expect((await store.sessions.listByUser("u")).items.map((s) => s.sessionId)).toEqual(["s"]);
      expect((await store.toolCache.get("tool", { q: 1 }))?.value).toBe("result");
      expect((await store.preferences.get("u", "agent"))?.values).toEqual({ theme: "dark" });
      expect((await store.records.get("scope", ["r", "r2"])).map((r) => r?.value)).toEqual([1, 2]);
      expect((await store.records.range("scope")).items.map((r) => r.key)).toEqual(["r", "r2"]);
      const keys = (await probe.keys(`${keyPrefix}*`)).filter((key) => !key.includes("{registry:"));
      expect(keys).toHaveLength(11); // meta, msgs, idem; user index; entry, tool index; prefs; 2 indexes, 2 records
      for (const key of keys) {
        const left = Number(await probe.pttl(key));
        expect({ key, alive: left > 0 }).toEqual({ key, alive: true });
        expect(left).toBeLessThanOrEqual(key.includes("u:{u}") ? userIndex : physical);
      }

      // The logical expiry still follows the store's clock.
      clock.advanceSeconds(TTL_SECONDS);
      expect(await store.sessions.get("s")).toBeNull();
      expect(await store.toolCache.get("tool", { q: 1 })).toBeNull();
      expect(await store.preferences.get("u", "agent")).toBeNull();
      expect(await store.records.get("scope", ["r", "r2"])).toEqual([null, null]);
      expect((await store.records.range("scope")).items).toEqual([]);
      await store.close();
    });
  }
});
