import { randomUUID } from "node:crypto";
import { ManualClock } from "@agent-state/core/testing";
import { escapeKeyPart, KeySpace, RedisStateStore } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The part of a key Redis Cluster hashes: between the first "{" and the next "}". */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  const close = key.indexOf("}", open + 1);
  return key.slice(open + 1, close);
}

const AWKWARD_IDS = [
  "a:b",
  "a%3Ab",
  "a%b",
  "{a}",
  "a}b{c",
  "}",
  "{",
  "#",
  "a#b",
  "ü-日本-🙂",
  "%7B",
  "x:{y}:z",
];

describe("redis key layout", () => {
  it("escaping is injective: distinct ids give distinct keys, and no id leaves its hash tag", () => {
    const keys = new KeySpace("p:");
    const metas = AWKWARD_IDS.map((id) => keys.sessionMeta(id));
    expect(new Set(metas).size).toBe(AWKWARD_IDS.length);
    for (const id of AWKWARD_IDS) {
      expect(hashTag(keys.sessionMeta(id))).toBe(`${escapeKeyPart(id)}`);
      expect(hashTag(keys.sessionMessages(id))).toBe(hashTag(keys.sessionMeta(id)));
      expect(escapeKeyPart(id)).not.toMatch(/[{}:]/);
    }
    const prefs = [keys.preferences("a#b", "c"), keys.preferences("a", "b#c"), keys.preferences("a:b", "c")];
    prefs.push(keys.preferences("a", "b:c"));
    expect(new Set(prefs).size).toBe(prefs.length);
  });

  it("the keys of a session or a scope built together are the ones built one by one", () => {
    const keys = new KeySpace("p:");
    for (const id of AWKWARD_IDS) {
      expect(keys.sessionKeys(id)).toEqual([
        keys.sessionMeta(id),
        keys.sessionMessages(id),
        keys.sessionIdempotency(id),
      ]);
      expect(keys.recordKeys(id)).toEqual({
        index: keys.recordIndex(id),
        expiries: keys.recordExpiries(id),
        keyPrefix: keys.recordKeyPrefix(id),
      });
    }
  });

  it("rejects a key prefix with braces (it would pin every key to one Cluster slot)", () => {
    expect(() => new KeySpace("app{1}:")).toThrow(/keyPrefix/);
  });
});

describe("redis store against a server", () => {
  let server: RedisServerHandle;
  let probe: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    probe = new Redis({ host: server.host, port: server.port });
  }, 60_000);
  afterAll(async () => {
    await probe?.quit();
    await server?.destroy();
  });

  it("ids with key syntax never share records", async () => {
    const store = new RedisStateStore({ redis: probe, keyPrefix: `lay-${randomUUID()}:` });
    for (const [i, id] of AWKWARD_IDS.entries()) {
      await store.sessions.create({ sessionId: id, userId: id, state: { i } });
      await store.sessions.append(id, { role: "user", content: id });
      await store.preferences.set(id, id, { i });
    }
    for (const [i, id] of AWKWARD_IDS.entries()) {
      const session = await store.sessions.get(id, { recentMessages: 5 });
      expect(session).toMatchObject({ sessionId: id, userId: id, state: { i }, messageCount: 1 });
      expect(session?.recentMessages?.map((m) => m.content)).toEqual([id]);
      expect((await store.sessions.listByUser(id)).items.map((s) => s.sessionId)).toEqual([id]);
      expect((await store.preferences.get(id, id))?.values).toEqual({ i });
    }
    await store.close();
  });

  it("every key a store writes carries a Redis expiry, and a session's keys expire together", async () => {
    const keyPrefix = `ttl-${randomUUID()}:`;
    const clock = new ManualClock();
    const store = new RedisStateStore({ redis: probe, keyPrefix, clock: clock.now });
    await store.sessions.create({ sessionId: "s", userId: "u", ttlSeconds: 120 });
    clock.advance(5000);
    await store.sessions.append("s", { role: "user", content: "hi" });
    const session = await store.sessions.get("s");
    await store.toolCache.set("tool", { q: 1 }, "v", { ttlSeconds: 30 });
    await store.preferences.patch("u", "a", { x: 1 });
    const keys = await probe.keys(`${keyPrefix}*`);
    const registries = keys.filter((key) => key.includes("{registry:"));
    const records = keys.filter((key) => !key.includes("{registry:"));
    expect(records.length).toBe(6); // meta, msgs, user index, cache entry, tool index, preferences
    for (const key of records)
      expect(Number(await probe.call("PEXPIRETIME", key))).toBeGreaterThan(Date.now());
    const expiries = await Promise.all(
      [`${keyPrefix}s:{s}:meta`, `${keyPrefix}s:{s}:msgs`].map((key) => probe.call("PEXPIRETIME", key)),
    );
    expect(session).not.toBeNull();
    expect(expiries[0]).toBe(expiries[1]);
    // The registries are the store's own bookkeeping for stats(): pruned on write, never expiring.
    expect(registries.length).toBe(2);
    await store.close();
  });

  it("toolCache.get: a hit counts without moving the entry's expiry; a miss leaves no key behind", async () => {
    const keyPrefix = `tc-${randomUUID()}:`;
    const store = new RedisStateStore({ redis: probe, keyPrefix });
    await store.toolCache.set("tool", { q: 1 }, "v", { ttlSeconds: 30 });
    const [entry] = (await probe.keys(`${keyPrefix}t:*`)).filter((key) => key.includes(":e:"));
    expect(entry).toBeDefined();
    const expiry = await probe.call("PEXPIRETIME", entry as string);
    expect((await store.toolCache.get("tool", { q: 1 }))?.hitCount).toBe(1);
    expect((await store.toolCache.get("tool", { q: 1 }))?.hitCount).toBe(2);
    expect(await probe.call("PEXPIRETIME", entry as string)).toBe(expiry);
    const before = new Set(await probe.keys(`${keyPrefix}*`));
    expect(await store.toolCache.get("tool", { q: 2 })).toBeNull();
    expect((await probe.keys(`${keyPrefix}*`)).filter((key) => !before.has(key))).toEqual([]);
    // A set over it starts from a clean entry.
    await store.toolCache.set("tool", { q: 2 }, "w", { ttlSeconds: 30 });
    expect(await store.toolCache.get("tool", { q: 2 })).toMatchObject({ value: "w", hitCount: 1 });
    await store.close();
  });

  it("delete and invalidate remove the keys themselves", async () => {
    const keyPrefix = `del-${randomUUID()}:`;
    const store = new RedisStateStore({ redis: probe, keyPrefix });
    await store.sessions.create({ sessionId: "s" });
    await store.sessions.append(
      "s",
      Array.from({ length: 50 }, (_, i) => ({ role: "user" as const, content: `${i}` })),
    );
    for (let i = 0; i < 20; i++) await store.toolCache.set("tool", { i }, i, { ttlSeconds: 60 });
    await store.toolCache.set("other", { i: 0 }, 0, { ttlSeconds: 60 });
    await store.sessions.delete("s");
    await store.toolCache.invalidate("tool");
    const left = (await probe.keys(`${keyPrefix}*`)).filter((key) => !key.includes("{registry:")).sort();
    expect(left).toEqual([
      `${keyPrefix}t:{other}:e:${left[0]?.split(":e:")[1]}`,
      `${keyPrefix}t:{other}:index`,
    ]);
    expect(await store.stats()).toEqual({ activeSessions: 0, cacheEntries: 1, approximate: false });
    await store.close();
  });

  it("close() leaves a caller's connection open and quits its own", async () => {
    const callers = new RedisStateStore({ redis: probe, keyPrefix: "c1:" });
    await callers.close();
    await callers.close();
    expect(await probe.ping()).toBe("PONG");
    const owned = new RedisStateStore({
      redisOptions: { host: server.host, port: server.port },
      keyPrefix: "c2:",
    });
    await owned.sessions.get("warm-up");
    await owned.close();
    expect(owned.client.status).toBe("end");
    await owned.close();
  });
});
