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
        { "": "an empty key" }, // the field 'v:'
        {}, // no change at all
        { "": 1, d: undefined },
        { "": undefined },
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

  describe("sessions.append", () => {
    const keysOf = (id: string) => ["meta", "msgs", "idem"].map((part) => `${keyPrefix}s:{${id}}:${part}`);
    const expiriesOf = (id: string) =>
      Promise.all(keysOf(id).map(async (key) => Number(await probe.call("PEXPIRETIME", key))));
    const appendSeen = (id: string, idempotencyKey?: string) =>
      monitor.duringWithScripts(() =>
        store.sessions.append(
          id,
          { role: "user", content: "m" },
          idempotencyKey === undefined ? undefined : { idempotencyKey },
        ),
      );
    /** The keys a script's PEXPIREATs named, and whether they all got the same instant. */
    const expired = (seen: { name: string; args: string[] }[]) => {
      const calls = seen.filter((c) => c.name === "PEXPIREAT");
      return {
        keys: calls.map((c) => c.args[0]),
        oneInstant: new Set(calls.map((c) => c.args[1])).size === 1,
      };
    };

    it("expires the idempotency hash only once the session has one; every key present expires together", async () => {
      const [meta, msgs, idem] = keysOf("idem-exp");
      await store.sessions.create({ sessionId: "idem-exp", ttlSeconds: 600 });
      // No idempotency key yet: no hash, nothing to expire but the meta hash and the stream.
      const first = await appendSeen("idem-exp");
      expect(expired(first)).toEqual({ keys: [meta, msgs], oneInstant: true });
      expect(await probe.exists(idem as string)).toBe(0);
      const [metaAt, msgsAt] = await expiriesOf("idem-exp");
      expect(metaAt).toBe(msgsAt);
      // The first idempotency key makes the hash: it expires with the rest, in this append and every later one.
      clock.advanceSeconds(1);
      const second = await appendSeen("idem-exp", "k1");
      expect(expired(second)).toEqual({ keys: [meta, msgs, idem], oneInstant: true });
      clock.advanceSeconds(1);
      const third = await appendSeen("idem-exp");
      expect(expired(third)).toEqual({ keys: [meta, msgs, idem], oneInstant: true });
      const expiries = await expiriesOf("idem-exp");
      expect(new Set(expiries).size).toBe(1);
      expect(expiries[0]).toBeGreaterThan(Date.now());
      // The key still answers with the first call's message.
      const replay = await store.sessions.append(
        "idem-exp",
        { role: "user", content: "m" },
        { idempotencyKey: "k1" },
      );
      expect(replay.map((m) => m.id)).toEqual([(await store.sessions.messages("idem-exp")).items[1]?.id]);
    });

    it("a session written before the 'idem' field existed expires its hash anyway, then knows", async () => {
      const [meta, msgs, idem] = keysOf("legacy-idem");
      // Without a hash: the first append tries (PEXPIREAT of a missing key), records '0', then skips it.
      await store.sessions.create({ sessionId: "legacy-idem" });
      await probe.hdel(meta as string, "idem");
      expect(expired(await appendSeen("legacy-idem"))).toEqual({
        keys: [meta, msgs, idem],
        oneInstant: true,
      });
      expect(await probe.hget(meta as string, "idem")).toBe("0");
      expect(expired(await appendSeen("legacy-idem"))).toEqual({ keys: [meta, msgs], oneInstant: true });
      // With a hash: the first append expires it and records '1'; so does every later one.
      await store.sessions.append("legacy-idem", { role: "user", content: "k" }, { idempotencyKey: "k" });
      await probe.hdel(meta as string, "idem");
      await probe.persist(idem as string);
      expect(expired(await appendSeen("legacy-idem"))).toEqual({
        keys: [meta, msgs, idem],
        oneInstant: true,
      });
      expect(await probe.hget(meta as string, "idem")).toBe("1");
      expect(new Set(await expiriesOf("legacy-idem")).size).toBe(1);
      expect(expired(await appendSeen("legacy-idem"))).toEqual({
        keys: [meta, msgs, idem],
        oneInstant: true,
      });
    });

    it("update and truncate slide every key the session has, from one instant", async () => {
      const [meta, msgs, idem] = keysOf("slide-all");
      await store.sessions.create({ sessionId: "slide-all" });
      await store.sessions.append("slide-all", [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
      ]);
      clock.advanceSeconds(1);
      const update = await monitor.duringWithScripts(() =>
        store.sessions.update("slide-all", { state: { x: 1 } }),
      );
      expect(expired(update)).toEqual({ keys: [meta, msgs], oneInstant: true });
      await store.sessions.append("slide-all", { role: "user", content: "c" }, { idempotencyKey: "k" });
      clock.advanceSeconds(1);
      const truncate = await monitor.duringWithScripts(() =>
        store.sessions.truncate("slide-all", { removeLast: 1 }),
      );
      expect(expired(truncate)).toEqual({ keys: [meta, msgs, idem], oneInstant: true });
      expect(new Set(await expiriesOf("slide-all")).size).toBe(1);
    });

    it("when sliding passes the session's registration, the append's reply carries its user for the index", async () => {
      const userIndex = `${keyPrefix}u:{reg-user}:sessions`;
      await store.sessions.create({ sessionId: "reg", userId: "reg-user", ttlSeconds: 100 });
      clock.advanceSeconds(90);
      // Expiry slides to 190 s, within the registration (200 s): the script's reply is the sequence alone.
      const quiet = await monitor.during(() => store.sessions.append("reg", { role: "user", content: "a" }));
      expect(quiet.map((c) => c.name)).toEqual(["EVALSHA"]);
      clock.advanceSeconds(60);
      // Now to 250 s: past it, so the store registers the session again (stats registry and the user's index,
      // which it names from the user the reply carries).
      const moved = await monitor.duringWithScripts(() =>
        store.sessions.append("reg", { role: "user", content: "b" }),
      );
      expect(moved.filter((c) => !c.fromScript).map((c) => c.name)).toEqual([
        "EVALSHA",
        "EVALSHA",
        "EVALSHA",
      ]);
      expect(moved.some((c) => c.name === "ZADD" && c.args[0] === userIndex)).toBe(true);
      clock.advanceSeconds(90); // 240 s: past the first registration, the session still lists under its user
      expect((await store.sessions.listByUser("reg-user")).items.map((s) => s.sessionId)).toEqual(["reg"]);
    });

    it("returns the messages as a read returns them, with and without metadata", async () => {
      await store.sessions.create({ sessionId: "shape" });
      const written = await store.sessions.append("shape", [
        { role: "user", content: "plain" },
        { role: "assistant", content: "with", metadata: { n: -0, nested: { a: [1, "x"] } }, timestamp: 5 },
        { role: "tool", content: "ü🙂", timestamp: 0 },
      ]);
      const read = await store.sessions.messages("shape");
      expect(written).toStrictEqual(read.items);
      expect(Object.is(written[1]?.metadata?.n, 0)).toBe(true);
    });
  });

  describe("records.write", () => {
    const scope = "ow";
    const base = `${keyPrefix}r:{ow}:`;
    const rangeKeys = async () => (await store.records.range(scope)).items.map((r) => [r.key, r.value]);
    const scriptCommands = async (run: () => Promise<unknown>) =>
      (await monitor.duringWithScripts(run)).filter((c) => c.fromScript).map((c) => c.name);

    it("an overwrite adds nothing to the index and keeps the record in it; range finds it", async () => {
      expect(await scriptCommands(() => store.records.write(scope, [{ put: "a", value: 1 }]))).toContain(
        "ZADD",
      );
      const overwrite = await scriptCommands(() => store.records.write(scope, [{ put: "a", value: 2 }]));
      expect(overwrite).toEqual(["HMGET", "HSET"]);
      expect(await probe.zscore(`${base}i`, "a")).toBe("0");
      expect(await rangeKeys()).toEqual([["a", 2]]);
      // From a ttl to none and back: the ttl index follows, the index keeps it.
      await store.records.write(scope, [{ put: "a", value: 3, ttlSeconds: 60 }]);
      expect(await probe.zrange(`${base}x`, "0", "-1")).toEqual(["a"]);
      await store.records.write(scope, [{ put: "a", value: 4 }]);
      expect(await probe.zrange(`${base}x`, "0", "-1")).toEqual([]);
      expect(await rangeKeys()).toEqual([["a", 4]]);
      // A conditional overwrite, and one in a batch next to a new record.
      await store.records.write(scope, [{ put: "a", value: 5, ifVersion: 4 }]);
      await store.records.write(scope, [
        { put: "a", value: 6 },
        { put: "b", value: 1 },
      ]);
      expect(await rangeKeys()).toEqual([
        ["a", 6],
        ["b", 1],
      ]);
      expect(await probe.zrange(`${base}i`, "0", "-1")).toEqual(["a", "b"]);
    });

    it("a put after a delete, after the sweep, or after Redis expired the hash lands in the index", async () => {
      await store.records.write(scope, [{ put: "d", value: 1 }]);
      await store.records.write(scope, [{ delete: "d" }]);
      expect(await probe.zscore(`${base}i`, "d")).toBeNull();
      await store.records.write(scope, [{ put: "d", value: 2 }]);
      expect(await probe.zscore(`${base}i`, "d")).toBe("0");
      // Expired by the store's clock, then swept by the next write (hash and both index entries go)...
      await store.records.write(scope, [{ put: "s", value: 1, ttlSeconds: 5 }]);
      clock.advanceSeconds(6);
      await store.records.write(scope, [{ put: "other", value: 1 }]);
      expect(await probe.exists(`${base}k:s`)).toBe(0);
      expect(await probe.zscore(`${base}i`, "s")).toBeNull();
      await store.records.write(scope, [{ put: "s", value: 2 }]);
      expect(await probe.zscore(`${base}i`, "s")).toBe("0");
      // ...or its hash gone by Redis's own expiry while the index still lists it.
      await store.records.write(scope, [{ put: "r", value: 1, ttlSeconds: 600 }]);
      await probe.del(`${base}k:r`);
      expect(await probe.zscore(`${base}i`, "r")).toBe("0");
      expect((await store.records.get(scope, ["r"]))[0]).toBeNull();
      await store.records.write(scope, [{ put: "r", value: 2 }]);
      expect((await store.records.range(scope)).items.find((r) => r.key === "r")?.value).toBe(2);
      expect(await rangeKeys()).toEqual([
        ["a", 6],
        ["b", 1],
        ["d", 2],
        ["other", 1],
        ["r", 2],
        ["s", 2],
      ]);
    });

    it("sweeps on every write that grows an index or deletes, and on every 16th version of an overwrite", async () => {
      type Op = Parameters<typeof store.records.write>[1][number];
      const sweeps = async (...ops: Op[]) =>
        (await scriptCommands(() => store.records.write(scope, ops))).includes("ZRANGEBYSCORE");
      expect(await sweeps({ put: "sw", value: 1 })).toBe(true); // a new record
      const swept: number[] = [];
      for (let version = 2; version <= 34; version++) {
        if (await sweeps({ put: "sw", value: version })) swept.push(version);
      }
      // The stored version before the write is a multiple of 16.
      expect(swept).toEqual([17, 33]);
      expect(await sweeps({ put: "sw", value: 0, ttlSeconds: 60 })).toBe(true);
      expect(await sweeps({ put: "sw", value: 0 })).toBe(false);
      expect(await sweeps({ delete: "sw" })).toBe(true);
      const batch: Op[] = [
        { put: "sw", value: 1 },
        { put: "sx", value: 1 },
      ];
      expect(await sweeps(...batch)).toBe(true);
      expect(await sweeps(...batch)).toBe(true);
    });

    it("a write that sweeps its own expired record writes it anew, in both indexes", async () => {
      const own = "self";
      await store.records.write(scope, [{ put: own, value: 1, ttlSeconds: 5 }]);
      clock.advanceSeconds(6);
      // Its hash still exists (Redis's expiry counts from the server's time); the sweep drops it first.
      expect(await probe.exists(`${base}k:${own}`)).toBe(1);
      const [written] = await store.records.write(scope, [{ put: own, value: 2, ttlSeconds: 60 }]);
      expect(written?.version).toBe(1);
      expect(await probe.zscore(`${base}i`, own)).toBe("0");
      expect(await probe.zscore(`${base}x`, own)).toBe(String(clock.now() + 60_000));
      expect(await probe.pttl(`${base}k:${own}`)).toBeGreaterThan(60_000);
      expect((await store.records.range(scope, { prefix: own })).items.map((r) => r.value)).toEqual([2]);
      // Past that ttl too, a put without one keeps the record for good (no Redis expiry left on its hash).
      clock.advanceSeconds(61);
      const [forever] = await store.records.write(scope, [{ put: own, value: 3 }]);
      expect(forever?.version).toBe(1);
      expect(await probe.pttl(`${base}k:${own}`)).toBe(-1);
      expect(await probe.zscore(`${base}i`, own)).toBe("0");
      expect(await probe.zscore(`${base}x`, own)).toBeNull();
    });

    it("one put's reply is its version alone; a batch, a conflict and a delete still report per op", async () => {
      const [one] = await store.records.write(scope, [{ put: "v", value: 1 }]);
      expect(one?.version).toBe(1);
      const [again] = await store.records.write(scope, [{ put: "v", value: 2, ifVersion: 1 }]);
      expect(again?.version).toBe(2);
      await expect(store.records.write(scope, [{ put: "v", value: 3, ifVersion: 1 }])).rejects.toMatchObject({
        code: "VERSION_CONFLICT",
      });
      expect(await store.records.write(scope, [{ delete: "v" }])).toEqual([]);
      const batch = await store.records.write(scope, [
        { put: "v", value: 4 },
        { put: "w", value: 5 },
      ]);
      expect(batch.map((r) => [r.key, r.version])).toEqual([
        ["v", 1],
        ["w", 1],
      ]);
      await store.records.clear(scope);
    });
  });
});
