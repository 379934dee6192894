import { randomUUID } from "node:crypto";
import { ManualClock } from "@agent-state/core/testing";
import { FAIL_FAST_REDIS_OPTIONS, RANGE_SCAN_BUDGET, RedisStateStore } from "@agent-state/redis";
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
  startRedisServer,
} from "@agent-state/redis/testing";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandMonitor } from "./command-monitor.js";

// Keys that look like key syntax, sort differently in UTF-16 and UTF-8, or hold bytes a hash tag reacts to.
const AWKWARD_KEYS = ["a", "a:b", "{x}", "}{", "%7B", "ü", "日本", "🙂", "\uffff", "k:i", "i", "x"];

describe("redis records: layout and round trips on a standalone server", () => {
  let server: RedisServerHandle;
  let monitor: CommandMonitor;
  let probe: Redis;
  let store: RedisStateStore;
  const clock = new ManualClock();
  const keyPrefix = `rec-${randomUUID()}:`;

  beforeAll(async () => {
    server = await startRedisServer();
    monitor = await CommandMonitor.open(server.host, server.port);
    probe = new Redis({ host: server.host, port: server.port });
    store = new RedisStateStore({
      redisOptions: { host: server.host, port: server.port },
      keyPrefix,
      clock: clock.now,
    });
    // Warm up: connect and load every script, so the counts below are the steady state.
    await store.records.write("warm", [{ put: "k", value: 1 }]);
    await store.records.get("warm", ["k"]);
    await store.records.range("warm");
    await store.records.clear("warm");
    await store.sessions.create({ sessionId: "warm" });
    await store.sessions.append("warm", { role: "user", content: "x" }, { idempotencyKey: "w" });
    await store.sessions.truncate("warm", { removeLast: 1 });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await probe?.quit();
    await monitor?.close();
    await server?.destroy();
  });

  it("each records and session operation is one script call", async () => {
    const ops = Array.from({ length: 100 }, (_, i) => ({ put: `k${String(i).padStart(3, "0")}`, value: i }));
    await store.sessions.create({ sessionId: "rt" });
    // A one-key get is a plain HMGET (below): load the several-key read script once, as other calls would.
    await store.records.get("rt", ["warm-1", "warm-2"]);
    const operations: [string, () => Promise<unknown>][] = [
      ["records.write of 100 puts, atomic", () => store.records.write("rt", ops, { atomic: true })],
      ["records.write of 100 puts, not atomic", () => store.records.write("rt", ops)],
      [
        "records.write with a failed precondition",
        () => store.records.write("rt", [{ put: "k000", value: 0, ifVersion: 9 }]).catch(() => null),
      ],
      [
        "records.get of 100 keys",
        () =>
          store.records.get(
            "rt",
            ops.map((op) => op.put),
          ),
      ],
      ["records.range of 20", () => store.records.range("rt", { limit: 20, prefix: "k0" })],
      ["records.range desc of 20", () => store.records.range("rt", { limit: 20, order: "desc" })],
      ["records.clear of 100", () => store.records.clear("rt")],
      ["sessions.append with both options", () => appendChecked("rt", null, "key-1")],
      ["sessions.append replayed", () => appendChecked("rt", null, "key-1")],
      ["sessions.append conflicting", () => appendChecked("rt", null, "key-2").catch(() => null)],
      ["sessions.truncate removeLast", () => store.sessions.truncate("rt", { removeLast: 1 })],
    ];
    for (const [name, run] of operations) {
      const seen = await monitor.during(run);
      expect({ name, commands: seen.map((c) => c.name) }).toEqual({ name, commands: ["EVALSHA"] });
    }
    const one = await monitor.during(() => store.records.get("rt", ["k000"]));
    expect(one.map((c) => c.name)).toEqual(["HMGET"]);
  });

  function appendChecked(sessionId: string, expected: string | null, idempotencyKey: string) {
    return store.sessions.append(
      sessionId,
      { role: "user", content: "hi" },
      { expectedLastMessageId: expected, idempotencyKey },
    );
  }

  it("a scope's keys share one hash tag; only the three kinds of key exist; clear leaves none", async () => {
    await store.records.write(
      "a scope: {with} % syntax",
      AWKWARD_KEYS.map((key, i) => ({ put: key, value: i, ...(i % 2 ? { ttlSeconds: 60 } : {}) })),
    );
    const keys = await probe.keys(`${keyPrefix}r:*`);
    const tags = new Set(keys.map((key) => key.slice(key.indexOf("{") + 1, key.indexOf("}"))));
    expect(tags).toEqual(new Set(["a scope%3A %7Bwith%7D %25 syntax"]));
    const base = `${keyPrefix}r:{a scope%3A %7Bwith%7D %25 syntax}:`;
    expect(keys.sort()).toEqual(
      [`${base}i`, `${base}x`, ...AWKWARD_KEYS.map((key) => `${base}k:${key}`)].sort(),
    );
    const page = await store.records.range("a scope: {with} % syntax", { limit: 100 });
    expect(page.items.map((r) => r.key)).toEqual(
      [...AWKWARD_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect(await store.records.clear("a scope: {with} % syntax")).toBe(true);
    expect(await probe.keys(`${base}*`)).toEqual([]);
  });

  it("record keys expire from the server's time; the indexes persist while a record never expires", async () => {
    const scope = "expiry";
    const base = `${keyPrefix}r:{expiry}:`;
    const serverBefore = await monitor.serverNowMs();
    const seen = await monitor.duringWithScripts(() =>
      store.records.write(scope, [
        { put: "short", value: 1, ttlSeconds: 60 },
        { put: "long", value: 2, ttlSeconds: 600 },
      ]),
    );
    const serverAfter = await monitor.serverNowMs();
    // Each key: one instant of the server's clock (TIME, read once) plus its ttl and the margin.
    expect(seen.filter((c) => c.name === "PEXPIRE" || c.name === "TIME").map((c) => c.name)).toEqual([
      "TIME",
    ]);
    const expiries = seen.filter((c) => c.name === "PEXPIREAT" && c.args[0]?.includes(":k:"));
    expect(expiries.map((c) => c.args[0])).toEqual([`${base}k:short`, `${base}k:long`]);
    const instants = new Set([Number(expiries[0]?.args[1]) - 61_000, Number(expiries[1]?.args[1]) - 601_000]);
    expect(instants.size).toBe(1);
    const [instant] = instants;
    expect(instant).toBeGreaterThanOrEqual(serverBefore);
    expect(instant).toBeLessThanOrEqual(serverAfter);
    // Only ttl records: the indexes live as long as the longest-lived one, and no longer.
    for (const key of [`${base}i`, `${base}x`]) {
      const ttl = Number(await probe.pttl(key));
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(601_000);
    }
    await store.records.write(scope, [{ put: "forever", value: 3 }]);
    expect(await probe.pttl(`${base}k:forever`)).toBe(-1);
    expect(await probe.pttl(`${base}i`)).toBe(-1);
    // Without the permanent record the indexes expire again (never before their records).
    await store.records.write(scope, [{ delete: "forever" }]);
    expect(Number(await probe.pttl(`${base}i`))).toBeGreaterThan(60_000);
    // A put without ttl replacing a ttl record makes it permanent.
    await store.records.write(scope, [{ put: "short", value: 4 }]);
    expect(await probe.pttl(`${base}k:short`)).toBe(-1);
    expect(await probe.zrange(`${base}x`, "0", "-1")).toEqual(["long"]);
    // Rewriting a permanent record without ttl changes no expiry (the script skips those commands).
    await store.records.write(scope, [{ put: "short", value: 5 }]);
    for (const key of [`${base}k:short`, `${base}i`, `${base}x`]) expect(await probe.pttl(key)).toBe(-1);
    expect(await probe.zrange(`${base}x`, "0", "-1")).toEqual(["long"]);
    // With a ttl it is permanent no more, and neither are the indexes.
    await store.records.write(scope, [{ put: "short", value: 6, ttlSeconds: 60 }]);
    expect(Number(await probe.pttl(`${base}k:short`))).toBeGreaterThan(0);
    expect(Number(await probe.pttl(`${base}i`))).toBeGreaterThan(60_000);
    expect(await probe.zrange(`${base}x`, "0", "-1")).toEqual(["short", "long"]);
    await store.records.clear(scope);
  });

  it("writes drop records whose ttl has passed (a bounded number each), and the last one drops the indexes", async () => {
    const scope = "prune";
    const base = `${keyPrefix}r:{prune}:`;
    for (let batch = 0; batch < 3; batch++) {
      await store.records.write(
        scope,
        Array.from({ length: 100 }, (_, i) => ({ put: `e${batch}-${i}`, value: i, ttlSeconds: 10 })),
      );
    }
    clock.advanceSeconds(11);
    expect(await probe.zcard(`${base}i`)).toBe(300);
    await store.records.write(scope, [{ put: "live", value: 1, ttlSeconds: 10 }]);
    expect(await probe.zcard(`${base}i`)).toBe(201);
    expect(await probe.exists(`${base}k:e0-0`)).toBe(0);
    await store.records.write(scope, [{ delete: "live" }]);
    await store.records.write(scope, [{ delete: "live" }]);
    await store.records.write(scope, [{ delete: "live" }]);
    expect(await probe.keys(`${base}*`)).toEqual([]);
  });

  it(`range reads past thousands of expired records (${RANGE_SCAN_BUDGET} index members per call)`, async () => {
    const scope = "sparse";
    for (let batch = 0; batch < 25; batch++) {
      await store.records.write(
        scope,
        Array.from({ length: 100 }, (_, i) => ({
          put: `a${String(batch * 100 + i).padStart(5, "0")}`,
          value: i,
          ttlSeconds: 10,
        })),
      );
    }
    await store.records.write(scope, [
      { put: "z1", value: 1 },
      { put: "z2", value: 2 },
      { put: "z3", value: 3 },
    ]);
    clock.advanceSeconds(11); // 2,500 expired records before the 3 live ones, none dropped yet
    let page: Awaited<ReturnType<typeof store.records.range>> | undefined;
    const seen = await monitor.during(async () => {
      page = await store.records.range(scope, { limit: 2 });
    });
    expect(page?.items.map((r) => r.key)).toEqual(["z1", "z2"]);
    expect(seen.map((c) => c.name)).toEqual(["EVALSHA", "EVALSHA"]); // 2,000 members, then 503
    const rest = await store.records.range(scope, { limit: 2, cursor: page?.cursor ?? "" });
    expect(rest).toEqual({ items: [expect.objectContaining({ key: "z3", value: 3 })], cursor: null });
    const desc = await store.records.range(scope, { order: "desc", limit: 5 });
    expect(desc.items.map((r) => r.key)).toEqual(["z3", "z2", "z1"]);
    expect(desc.cursor).toBeNull();
    expect(await store.records.clear(scope)).toBe(true);
  });

  it("clear of a large scope goes in batches and leaves no key; clear of an empty scope is false", async () => {
    const scope = "large";
    for (let batch = 0; batch < 25; batch++) {
      await store.records.write(
        scope,
        Array.from({ length: 100 }, (_, i) => ({ put: `k${batch}-${i}`, value: i })),
      );
    }
    const seen = await monitor.during(async () => expect(await store.records.clear(scope)).toBe(true));
    expect(seen.map((c) => c.name)).toEqual(["EVALSHA", "EVALSHA", "EVALSHA"]); // 1,000 per call
    expect(await probe.keys(`${keyPrefix}r:{large}*`)).toEqual([]);
    expect(await store.records.clear(scope)).toBe(false);
  });

  it("bytes that are not UTF-8 round-trip exactly through get and range", async () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xfe, 0x80, 0x0a, 0x7b, 0x7d]);
    await store.records.write("bin", [{ put: "b", value: bytes }]);
    const [got] = await store.records.get("bin", ["b"]);
    expect(got?.value).toEqual(bytes);
    expect(Object.getPrototypeOf(got?.value)).toBe(Uint8Array.prototype);
    expect((await store.records.range("bin")).items[0]?.value).toEqual(bytes);
    expect(await probe.hget(`${keyPrefix}r:{bin}:k:b`, "t")).toBe("b");
    await store.records.clear("bin");
  });

  it("sessions written before truncate existed (no seq/last fields) keep numbering after every id", async () => {
    await store.sessions.create({ sessionId: "legacy" });
    const first = await store.sessions.append("legacy", [
      { role: "user", content: "1" },
      { role: "user", content: "2" },
      { role: "user", content: "3" },
    ]);
    await probe.hdel(`${keyPrefix}s:{legacy}:meta`, "seq", "last");
    await expect(
      store.sessions.append(
        "legacy",
        { role: "user", content: "x" },
        { expectedLastMessageId: first[1]!.id },
      ),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", actualLastMessageId: first[2]!.id });
    const removed = await store.sessions.truncate("legacy", { removeLast: 2 });
    expect(removed.map((m) => m.content)).toEqual(["2", "3"]);
    const [next] = await store.sessions.append(
      "legacy",
      { role: "user", content: "4" },
      { expectedLastMessageId: first[0]!.id },
    );
    expect(next!.id > first[2]!.id).toBe(true);
    expect((await store.sessions.get("legacy"))?.messageCount).toBe(2);
  });

  it("idempotency records are one hash under the session's tag, deleted with the session", async () => {
    await store.sessions.create({ sessionId: "idem" });
    await store.sessions.append("idem", { role: "user", content: "a" }, { idempotencyKey: "k1" });
    await store.sessions.append("idem", { role: "user", content: "b" }, { idempotencyKey: "k2" });
    expect(await probe.hkeys(`${keyPrefix}s:{idem}:idem`)).toEqual(["k1", "k2"]);
    await store.sessions.delete("idem");
    expect(await probe.exists(`${keyPrefix}s:{idem}:idem`)).toBe(0);
  });
});

describe("redis records on a Cluster", () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes, { redisOptions: FAIL_FAST_REDIS_OPTIONS });
  }, 60_000);
  afterAll(async () => {
    await client?.quit();
    await cluster?.destroy();
  });

  it("every key of a scope is in one slot on one node; scopes spread over the nodes", async () => {
    const keyPrefix = `cl-${randomUUID()}:`;
    const store = new RedisStateStore({ redis: client, keyPrefix });
    const scopes = Array.from({ length: 12 }, (_, i) => `scope-${i}`);
    for (const scope of scopes) {
      await store.records.write(
        scope,
        AWKWARD_KEYS.map((key, i) => ({ put: key, value: i, ...(i % 3 ? { ttlSeconds: 60 } : {}) })),
        { atomic: true },
      );
    }
    const nodeKeys = await Promise.all(
      client.nodes("master").map(async (node) => (await node.keys(`${keyPrefix}*`)) as string[]),
    );
    const nodesOfScope = new Map<string, Set<number>>();
    const slotsOfScope = new Map<string, Set<number>>();
    for (const [n, keys] of nodeKeys.entries()) {
      for (const key of keys) {
        const tag = key.slice(key.indexOf("{") + 1, key.indexOf("}"));
        nodesOfScope.set(tag, (nodesOfScope.get(tag) ?? new Set()).add(n));
        const slot = Number(await client.cluster("KEYSLOT", key));
        slotsOfScope.set(tag, (slotsOfScope.get(tag) ?? new Set()).add(slot));
      }
    }
    expect([...nodesOfScope.keys()].sort()).toEqual([...scopes].sort());
    for (const scope of scopes) {
      expect(nodesOfScope.get(scope)?.size).toBe(1);
      expect(slotsOfScope.get(scope)?.size).toBe(1);
    }
    expect(new Set([...nodesOfScope.values()].map((nodes) => [...nodes][0])).size).toBeGreaterThan(1);
    for (const scope of scopes) {
      expect((await store.records.range(scope, { limit: 100 })).items).toHaveLength(AWKWARD_KEYS.length);
      expect(await store.records.clear(scope)).toBe(true);
    }
    await store.close();
  });
});
