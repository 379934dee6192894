import { randomUUID } from "node:crypto";
import type { Message } from "@agent-state/core";
import { ManualClock } from "@agent-state/core/testing";
import { PHYSICAL_EXPIRY_MARGIN_MS, RedisStateStore } from "@agent-state/redis";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandMonitor } from "./command-monitor.js";

let server: RedisServerHandle;
let monitor: CommandMonitor;
let store: RedisStateStore;
const clock = new ManualClock();
const keyPrefix = `rt-${randomUUID()}:`;

beforeAll(async () => {
  server = await startRedisServer();
  monitor = await CommandMonitor.open(server.host, server.port);
  store = new RedisStateStore({
    redisOptions: { host: server.host, port: server.port },
    keyPrefix,
    clock: clock.now,
  });
  // Warm up: connect and load every script once, so the counts below are the steady state.
  await store.sessions.create({ sessionId: "warm", userId: "u" });
  await store.sessions.append("warm", { role: "user", content: "x" });
  await store.sessions.update("warm", {});
  await store.sessions.get("warm", { recentMessages: 1 });
  await store.sessions.messages("warm");
  await store.sessions.truncate("warm", { removeLast: 1 });
  await store.toolCache.set("tool", { q: 1 }, "r", { ttlSeconds: 60 });
  await store.toolCache.get("tool", { q: 1 });
  await store.preferences.patch("u", "a", { theme: "dark" });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await monitor?.close();
  await server?.destroy();
});

describe("redis: one round trip per operation", () => {
  it("each hot operation is exactly one command (a script by SHA, or one read) or one transaction", async () => {
    await store.sessions.create({ sessionId: "s1", userId: "u1" });
    let appended: Message[] = [];
    let replaced: Message[] = [];
    // The commands each operation sends, in order: one, or one MULTI/EXEC transaction written at once (see
    // the next test).
    const operations: [string, () => Promise<unknown>, string | string[]][] = [
      ["sessions.get", () => store.sessions.get("s1"), "HMGET"],
      [
        "sessions.get with 20 recent",
        () => store.sessions.get("s1", { recentMessages: 20 }),
        ["MULTI", "HMGET", "XREVRANGE", "EXEC"],
      ],
      ["sessions.update", () => store.sessions.update("s1", { state: { a: 1 } }), "EVALSHA"],
      [
        "sessions.update with expectedVersion",
        () => store.sessions.update("s1", { lastToolCall: "t" }, { expectedVersion: 2 }),
        "EVALSHA",
      ],
      [
        "sessions.append of 3",
        async () => {
          appended = await store.sessions.append("s1", [
            { role: "user", content: "1" },
            { role: "assistant", content: "2" },
            { role: "tool", content: "3" },
          ]);
        },
        "EVALSHA",
      ],
      [
        "sessions.append of 1 with replace (removeLast)",
        async () => {
          replaced = await store.sessions.append(
            "s1",
            { role: "assistant", content: "2b" },
            { replace: { removeLast: 2 } },
          );
        },
        "EVALSHA",
      ],
      [
        "sessions.append of 2 with replace (afterMessageId) and expectedLastMessageId",
        () =>
          store.sessions.append(
            "s1",
            [
              { role: "assistant", content: "2c" },
              { role: "tool", content: "3c" },
            ],
            { replace: { afterMessageId: appended[0]!.id }, expectedLastMessageId: replaced[0]!.id },
          ),
        "EVALSHA",
      ],
      ["sessions.truncate", () => store.sessions.truncate("s1", { removeLast: 1 }), "EVALSHA"],
      ["sessions.messages", () => store.sessions.messages("s1", { limit: 2 }), "EVALSHA"],
      ["toolCache.get (hit)", () => store.toolCache.get("tool", { q: 1 }), "EVALSHA"],
      ["toolCache.get (miss)", () => store.toolCache.get("tool", { q: 2 }), "EVALSHA"],
      [
        "preferences.patch",
        () => store.preferences.patch("u", "a", { font: 12, theme: undefined }),
        "EVALSHA",
      ],
      ["preferences.get", () => store.preferences.get("u", "a"), "HGETALL"],
    ];
    for (const [name, run, commands] of operations) {
      const seen = await monitor.during(run);
      expect({ name, commands: seen.map((c) => c.name) }).toEqual({ name, commands: [commands].flat() });
    }
    const stored = await store.sessions.messages("s1");
    expect(stored.items.map((m) => m.content)).toEqual(["1", "2c"]);
  });

  it("sessions.get with recent messages writes its transaction to the socket at once: one round trip", async () => {
    await store.sessions.create({ sessionId: "tx" });
    await store.sessions.append("tx", [
      { role: "user", content: "q" },
      { role: "assistant", content: "a" },
    ]);
    const socket = (store.client as Redis).stream;
    const write = socket.write;
    let writes = 0;
    socket.write = function (this: typeof socket, ...args: Parameters<typeof write>) {
      writes += 1;
      return write.apply(this, args);
    } as typeof write;
    let session: Awaited<ReturnType<typeof store.sessions.get>>;
    try {
      session = await store.sessions.get("tx", { recentMessages: 5 });
    } finally {
      socket.write = write;
    }
    expect(writes).toBe(1);
    expect(session?.messageCount).toBe(2);
    expect(session?.recentMessages?.map((m) => m.content)).toEqual(["q", "a"]);
  });

  it("sessions.get with recent messages falls back to its read-only script when Redis refuses the transaction", async () => {
    await store.sessions.create({ sessionId: "oom" });
    await store.sessions.append("oom", { role: "user", content: "kept" });
    const admin = new Redis({ host: server.host, port: server.port });
    try {
      await admin.config("SET", "maxmemory", "1");
      // Over maxmemory Redis refuses every command queued in MULTI (reads too), so EXEC aborts; the script
      // (flagged no-writes) still runs: one more round trip, only then.
      // MONITOR shows MULTI and the aborted EXEC, not the refused commands. The first fallback on this server
      // loads the script (NOSCRIPT, then EVAL); the second is the steady state.
      for (const script of [["EVALSHA", "EVAL"], ["EVALSHA"]]) {
        const seen = await monitor.during(async () => {
          const session = await store.sessions.get("oom", { recentMessages: 5 });
          expect(session?.recentMessages?.map((m) => m.content)).toEqual(["kept"]);
          expect(session?.messageCount).toBe(1);
        });
        expect(seen.map((c) => c.name)).toEqual(["MULTI", "EXEC", ...script]);
      }
    } finally {
      await admin.config("SET", "maxmemory", "0");
      await admin.quit();
    }
  });

  it("an append slides expiry on every key of the session inside its one script, from one server instant", async () => {
    const created = await store.sessions.create({ sessionId: "slide", ttlSeconds: 600 });
    clock.advanceSeconds(30);
    const serverBefore = await monitor.serverNowMs();
    const seen = await monitor.duringWithScripts(() =>
      store.sessions.append("slide", { role: "user", content: "m" }, { idempotencyKey: "k" }),
    );
    const serverAfter = await monitor.serverNowMs();
    expect(seen.filter((c) => !c.fromScript).map((c) => c.name)).toEqual(["EVALSHA"]);
    const session = await store.sessions.get("slide");
    expect(session?.expiresAt).toBe(created.expiresAt + 30_000);
    // Redis's expiry is the ttl plus a margin from one instant of the server's clock, read once in the script
    // (TIME), never a time from the store's clock (which here runs 30 s ahead of the server's).
    const physical = 600_000 + PHYSICAL_EXPIRY_MARGIN_MS;
    const expiries = seen.filter((c) => c.name.startsWith("PEXPIRE")).map((c) => [c.name, ...c.args]);
    const at = expiries[0]?.[2] ?? "";
    expect(expiries).toEqual(
      ["meta", "msgs", "idem"].map((part) => ["PEXPIREAT", `${keyPrefix}s:{slide}:${part}`, at]),
    );
    expect(Number(at) - physical).toBeGreaterThanOrEqual(serverBefore);
    expect(Number(at) - physical).toBeLessThanOrEqual(serverAfter);
    expect(seen.filter((c) => c.name === "TIME")).toHaveLength(1);
    const probe = new Redis({ host: server.host, port: server.port });
    try {
      const parts = ["meta", "msgs", "idem"];
      const times = await Promise.all(
        parts.map((part) => probe.call("PEXPIRETIME", `${keyPrefix}s:{slide}:${part}`)),
      );
      expect(new Set(times).size).toBe(1); // set in one script: the same expiry to the millisecond
    } finally {
      await probe.quit();
    }
  });

  it("an append with replace removes and appends inside its one script", async () => {
    await store.sessions.create({ sessionId: "edit" });
    const all = await store.sessions.append("edit", [
      { role: "user", content: "q" },
      { role: "assistant", content: "a" },
      { role: "tool", content: "t" },
    ]);
    const seen = await monitor.duringWithScripts(() =>
      store.sessions.append(
        "edit",
        { role: "assistant", content: "a2" },
        { replace: { afterMessageId: all[0]!.id }, idempotencyKey: "edit-1" },
      ),
    );
    expect(seen.filter((c) => !c.fromScript).map((c) => c.name)).toEqual(["EVALSHA"]);
    const writes = seen.filter((c) => c.fromScript && ["XDEL", "XADD"].includes(c.name));
    expect(writes.map((c) => [c.name, ...c.args.slice(1, 3)])).toEqual([
      ["XDEL", "0-3", "0-2"],
      ["XADD", "0-4", "m"],
    ]);
    const page = await store.sessions.messages("edit");
    expect(page.items.map((m) => m.content)).toEqual(["q", "a2"]);
  });

  it("after SCRIPT FLUSH a script is re-sent once (NOSCRIPT then EVAL), then called by SHA again", async () => {
    await store.sessions.create({ sessionId: "flushed" });
    const admin = new Redis({ host: server.host, port: server.port });
    try {
      await admin.script("FLUSH");
    } finally {
      await admin.quit();
    }
    const first = await monitor.during(() =>
      store.sessions.append("flushed", { role: "user", content: "a" }),
    );
    expect(first.map((c) => c.name)).toEqual(["EVALSHA", "EVAL"]);
    const second = await monitor.during(() =>
      store.sessions.append("flushed", { role: "user", content: "b" }),
    );
    expect(second.map((c) => c.name)).toEqual(["EVALSHA"]);
    const page = await store.sessions.messages("flushed");
    expect(page.items.map((m) => m.content)).toEqual(["a", "b"]);
  });

  it("invalidate(tool), listByUser and stats never scan the keyspace", async () => {
    for (let i = 0; i < 30; i++) await store.toolCache.set("scan-tool", { i }, i, { ttlSeconds: 60 });
    for (let i = 0; i < 5; i++) await store.sessions.create({ userId: "scan-user" });
    const seen = [
      ...(await monitor.during(() => store.toolCache.invalidate("scan-tool"))),
      ...(await monitor.during(() => store.sessions.listByUser("scan-user", { limit: 2 }))),
      ...(await monitor.during(() => store.stats())),
    ];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((c) => ["KEYS", "SCAN"].includes(c.name))).toEqual([]);
    expect(await store.toolCache.get("scan-tool", { i: 1 })).toBeNull();
  });
});
