import { randomUUID } from "node:crypto";
import { ManualClock } from "@agent-state/core/testing";
import { RedisStateStore } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandMonitor } from "./command-monitor.js";

/**
 * The write scripts' shortcuts (what they skip, and the bookkeeping that lets them), checked against what
 * Redis holds afterwards: preferences' byte count, records' index, sessions' idempotency-hash expiry.
 */
describe("redis write scripts: shortcuts keep the stored bookkeeping exact", () => {
  let server: RedisServerHandle;
  let monitor: CommandMonitor;
  let probe: Redis;
  let store: RedisStateStore;
  const clock = new ManualClock();
  const keyPrefix = `wp-${randomUUID()}:`;

  beforeAll(async () => {
    server = await startRedisServer();
    monitor = await CommandMonitor.open(server.host, server.port);
    probe = new Redis({ host: server.host, port: server.port });
    store = new RedisStateStore({
      redisOptions: { host: server.host, port: server.port },
      keyPrefix,
      clock: clock.now,
    });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await probe?.quit();
    await monitor?.close();
    await server?.destroy();
  });

  describe("preferences", () => {
    const key = () => `${keyPrefix}p:{u}:a`;
    /** The record's size as LIMITS.maxValueBytes measures it, from '_bytes' (the JSON is 1 + it, 2 empty). */
    const storedSize = async () => {
      const bytes = Number(await probe.hget(key(), "_bytes"));
      return bytes === 0 ? 2 : 1 + bytes;
    };
    const jsonSize = (values: object) => Buffer.byteLength(JSON.stringify(values), "utf8");

    it("a patch counts bytes right for absent and present keys, sets and removals, multi-byte keys", async () => {
      await store.preferences.set("u", "a", { a: 1 });
      expect(await storedSize()).toBe(jsonSize({ a: 1 }));
      const steps: Record<string, unknown>[] = [
        { b: "xx" }, // absent key
        { a: 22 }, // present key, longer value
        { a: 3, c: [1, 2], "ü日🙂": "日本" }, // present and absent, multi-byte key and value
        { b: undefined }, // removal of a present key
        { zz: undefined }, // removal of an absent key
        { c: undefined, a: undefined, "ü日🙂": undefined }, // every key gone
        { d: { nested: true } },
      ];
      let expected: Record<string, unknown> = { a: 1 };
      for (const changes of steps) {
        const written = await store.preferences.patch("u", "a", changes as never);
        expected = { ...expected, ...changes };
        for (const [name, value] of Object.entries(changes)) if (value === undefined) delete expected[name];
        expect(written.values).toEqual(expected);
        expect((await store.preferences.get("u", "a"))?.values).toEqual(written.values);
        expect(await storedSize()).toBe(jsonSize(expected));
      }
    });

    it("a patch returns the record as written: version, times, values merged with the stored ones", async () => {
      await store.preferences.set("u", "a", { theme: "dark", size: 1 });
      const before = await store.preferences.get("u", "a");
      clock.advance(1000);
      const written = await store.preferences.patch("u", "a", { size: 2 }, { ttlSeconds: 60 });
      expect(written).toEqual({
        userId: "u",
        agentId: "a",
        values: { theme: "dark", size: 2 },
        version: (before?.version ?? 0) + 1,
        updatedAt: clock.now(),
        expiresAt: clock.now() + 60_000,
      });
      expect(await store.preferences.get("u", "a")).toEqual(written);
    });

    it("a patch of an expired record starts from an empty one (version 1) and counts only its own bytes", async () => {
      await store.preferences.set("u", "a", { old: "x".repeat(100) }, { ttlSeconds: 10 });
      clock.advanceSeconds(11);
      const written = await store.preferences.patch("u", "a", { fresh: 1 });
      expect(written.values).toEqual({ fresh: 1 });
      expect(written.version).toBe(1);
      expect(await probe.hkeys(key())).not.toContain("v:old");
      expect(await storedSize()).toBe(jsonSize({ fresh: 1 }));
    });

    it("a record written before '_bytes' existed is measured from its fields on the next patch", async () => {
      await store.preferences.set("u", "a", { a: "one", b: [1, 2, 3] });
      await probe.hdel(key(), "_bytes");
      const written = await store.preferences.patch("u", "a", { a: "three", c: null });
      expect(written.values).toEqual({ a: "three", b: [1, 2, 3], c: null });
      expect(await storedSize()).toBe(jsonSize(written.values));
    });

    it("a patch of one key is three commands in its script: HGETALL, one HSET, PEXPIRE", async () => {
      await store.preferences.set("u", "a", { a: 1 });
      const seen = await monitor.duringWithScripts(() => store.preferences.patch("u", "a", { a: 2 }));
      expect(seen.map((c) => c.name)).toEqual(["EVALSHA", "HGETALL", "HSET", "PEXPIRE"]);
    });
  });
});
