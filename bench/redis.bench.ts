/**
 * The Redis store's hot paths against raw ioredis sending the minimal equivalent commands to the same
 * redis-server in the same run (started here on a free port, stopped at the end). Raw sends its commands
 * without waiting between them (one round trip) and parses nothing; the store also validates input,
 * runs a Lua script and builds typed results. Two modes: one caller awaiting each operation, and
 * CONCURRENT callers with operations in flight together (ioredis pipelines them on one connection).
 * Records: `get` of one key, `range` of 20 after a key out of 10,000 records, `write` of one put (raw:
 * HMGET; ZRANGE BYLEX then 20 HMGETs, two round trips since the second needs the first's keys; HINCRBY +
 * HSET + ZADD sent together). Store and raw run in alternating short turns, so drifting load (other work on
 * the machine) weighs on both sides alike and the ratio (the median of adjacent turns' ratios) compares like
 * with like.
 */
import type { Json } from "@agent-state/core";
import { type RedisClient, RedisStateStore } from "@agent-state/redis";
import { startRedisServer } from "@agent-state/redis/testing";
import { markdownTable } from "./support.js";

const MESSAGES_IN_SESSION = 200;
const RECENT_MESSAGES = 20;
const CONCURRENT = 32;
/** Issue 19's target: every path at least this fraction of raw ioredis's throughput. */
const REDIS_TARGET = 0.8;
const TTL_MS = 3_600_000;
const PREFIX = "bench:";
const RECORDS = 10_000;
const PAGE = 20;
const SCOPE = "bench-thread";
const keyOf = (i: number) => `step:${String(i).padStart(6, "0")}`;
const sampleValue = (i: number) => ({ step: i, channel: "messages", payload: "x".repeat(200) });

const searchParams: Record<string, Json> = {
  query: "weather in Oslo tomorrow",
  limit: 10,
  filters: { lang: "en" },
};
const searchResult: Json = {
  results: Array.from({ length: 5 }, (_, i) => ({ title: `Result ${i}`, score: i / 10 })),
};
const messageJson = JSON.stringify({ role: "user", content: "what is the weather tomorrow?", timestamp: 0 });

export interface HotPath {
  name: string;
  store: () => Promise<unknown>;
  raw: () => Promise<unknown>;
}

async function seed(store: RedisStateStore): Promise<{ cacheKey: string }> {
  for (const sessionId of ["read", "append"]) {
    await store.sessions.create({ sessionId, userId: "u1", state: { step: 3, plan: ["a", "b"] } });
    for (let i = 0; i < MESSAGES_IN_SESSION; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => ({
        role: "user" as const,
        content: `message ${i + j}`,
      }));
      await store.sessions.append(sessionId, batch);
    }
  }
  await store.toolCache.set("search", searchParams, searchResult, { ttlSeconds: 3600 });
  await store.preferences.set("u1", "agent", { theme: "dark", fontSize: 14 });
  for (let i = 0; i < RECORDS; i += 100) {
    const ops = Array.from({ length: 100 }, (_, j) => ({ put: keyOf(i + j), value: sampleValue(i + j) }));
    await store.records.write(SCOPE, ops);
  }
  const { hashParams } = await import("@agent-state/core");
  return { cacheKey: `${PREFIX}t:{search}:e:${hashParams(searchParams)}` };
}

/**
 * The store's hot paths next to the raw ioredis commands they stand for, on seeded data (`raw` is a second
 * connection to the same server). Shared with the latency bench.
 */
export async function redisHotPaths(store: RedisStateStore, raw: RedisClient): Promise<HotPath[]> {
  const send = (command: string, ...args: (string | number)[]) => raw.call(command, args) as Promise<unknown>;
  const { cacheKey } = await seed(store);
  const meta = `${PREFIX}s:{read}:meta`;
  const messages = `${PREFIX}s:{read}:msgs`;
  // Raw appends get their own keys: its XADD ids would not follow the store's numbering.
  const appendMeta = `${PREFIX}s:{append-raw}:meta`;
  const appendMessages = `${PREFIX}s:{append-raw}:msgs`;
  const prefs = `${PREFIX}p:{u1}:agent`;
  let counter = 0;
  const recordPrefix = `${PREFIX}r:{${SCOPE}}:k:`;
  const recordIndex = `${PREFIX}r:{${SCOPE}}:i`;
  // Raw record writes get their own scope's keys, so they never change what the store reads.
  const rawWritePrefix = `${PREFIX}r:{raw-writes}:k:`;
  const rawWriteIndex = `${PREFIX}r:{raw-writes}:i`;
  const recordFields = ["v", "t", "n", "u", "e"];
  const paths: HotPath[] = [
    {
      name: `sessions.get (${RECENT_MESSAGES} recent of ${MESSAGES_IN_SESSION})`,
      store: () => store.sessions.get("read", { recentMessages: RECENT_MESSAGES }),
      raw: () =>
        Promise.all([send("HGETALL", meta), send("XREVRANGE", messages, "+", "-", "COUNT", RECENT_MESSAGES)]),
    },
    {
      name: "sessions.append (1 message)",
      store: () =>
        store.sessions.append("append", { role: "user", content: "what is the weather tomorrow?" }),
      raw: () =>
        Promise.all([
          send("XADD", appendMessages, "*", "m", messageJson),
          send("HINCRBY", appendMeta, "count", 1),
          send("PEXPIRE", appendMeta, TTL_MS),
          send("PEXPIRE", appendMessages, TTL_MS),
        ]),
    },
    {
      name: "toolCache.get (hit)",
      store: () => store.toolCache.get("search", searchParams),
      raw: () =>
        Promise.all([
          send("HINCRBY", cacheKey, "hits", 1),
          send("HMGET", cacheKey, "value", "cachedAt", "expires"),
        ]),
    },
    {
      name: "preferences.patch (1 key)",
      store: () => store.preferences.patch("u1", "agent", { fontSize: counter++ % 30 }),
      raw: () =>
        Promise.all([
          send("HSET", prefs, "v:fontSize", String(counter++ % 30)),
          send("HINCRBY", prefs, "_version", 1),
          send("PEXPIRE", prefs, TTL_MS),
          send("HGETALL", prefs),
        ]),
    },
    {
      name: "records.get (1 key)",
      store: () => store.records.get(SCOPE, [keyOf(counter++ % RECORDS)]),
      raw: () => send("HMGET", recordPrefix + keyOf(counter++ % RECORDS), ...recordFields),
    },
    {
      name: `records.range (${PAGE} of ${RECORDS.toLocaleString("en-US")})`,
      store: () => store.records.range(SCOPE, { after: keyOf(counter++ % (RECORDS - PAGE)), limit: PAGE }),
      raw: async () => {
        const after = keyOf(counter++ % (RECORDS - PAGE));
        const keys = (await send(
          "ZRANGE",
          recordIndex,
          `(${after}`,
          "+",
          "BYLEX",
          "LIMIT",
          0,
          PAGE,
        )) as string[];
        return Promise.all(keys.map((key) => send("HMGET", recordPrefix + key, ...recordFields)));
      },
    },
    {
      name: "records.write (1 put)",
      store: () =>
        store.records.write(SCOPE, [{ put: `w:${counter++ % 1000}`, value: sampleValue(counter) }]),
      raw: () => {
        const key = `w:${counter++ % 1000}`;
        return Promise.all([
          send("HINCRBY", rawWritePrefix + key, "n", 1),
          send(
            "HSET",
            rawWritePrefix + key,
            "v",
            JSON.stringify(sampleValue(counter)),
            "t",
            "j",
            "u",
            Date.now(),
            "e",
            "",
          ),
          send("ZADD", rawWriteIndex, 0, key),
        ]);
      },
    },
  ];
  return paths;
}

/** Milliseconds each side runs per turn: short, so both sides see the same load. */
const BLOCK_MS = 25;
/** Turns per side for each path and mode (so about BLOCK_MS × TURNS ms measured per side). */
const TURNS = 40;
/** Milliseconds each side runs before its path and mode is measured. */
const WARMUP_MS = 150;

/** Runs `iteration` (worth `opsPerIteration` ops) back to back for about `ms`; its throughput in ops/s. */
async function runFor(
  iteration: () => Promise<unknown>,
  opsPerIteration: number,
  ms: number,
): Promise<number> {
  const start = performance.now();
  let now = start;
  let ops = 0;
  while (now - start < ms) {
    await iteration();
    ops += opsPerIteration;
    now = performance.now();
  }
  return (ops / (now - start)) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Store and raw throughput of one path, measured in alternating short turns (store, raw, then raw, store, …)
 * so load that drifts during the run weighs on both sides alike: each side's median turn, and the median of
 * the store / raw ratios of the turns run next to each other (a burst of other work spoils one pair, not the
 * result).
 */
async function interleaved(
  store: () => Promise<unknown>,
  raw: () => Promise<unknown>,
  opsPerIteration: number,
): Promise<{ storeOps: number; rawOps: number; ratio: number }> {
  await runFor(store, opsPerIteration, WARMUP_MS);
  await runFor(raw, opsPerIteration, WARMUP_MS);
  const storeTurns: number[] = [];
  const rawTurns: number[] = [];
  const ratios: number[] = [];
  for (let turn = 0; turn < TURNS; turn++) {
    let storeOps: number;
    let rawOps: number;
    if (turn % 2 === 0) {
      storeOps = await runFor(store, opsPerIteration, BLOCK_MS);
      rawOps = await runFor(raw, opsPerIteration, BLOCK_MS);
    } else {
      rawOps = await runFor(raw, opsPerIteration, BLOCK_MS);
      storeOps = await runFor(store, opsPerIteration, BLOCK_MS);
    }
    storeTurns.push(storeOps);
    rawTurns.push(rawOps);
    ratios.push(storeOps / rawOps);
  }
  return { storeOps: median(storeTurns), rawOps: median(rawTurns), ratio: median(ratios) };
}

export default async function redisBench(): Promise<void> {
  const server = await startRedisServer();
  const store = new RedisStateStore({
    redisOptions: { host: server.host, port: server.port },
    keyPrefix: PREFIX,
  });
  // A second connection to the same server with the same options, for the raw side.
  const raw = (store.client as unknown as { duplicate(): RedisClient }).duplicate();
  try {
    const paths = await redisHotPaths(store, raw);
    const concurrently = (op: () => Promise<unknown>) => () =>
      Promise.all(Array.from({ length: CONCURRENT }, op));
    const rows: string[][] = [];
    for (const path of paths) {
      for (const mode of ["1", "N"] as const) {
        const { storeOps, rawOps, ratio } =
          mode === "1"
            ? await interleaved(path.store, path.raw, 1)
            : await interleaved(concurrently(path.store), concurrently(path.raw), CONCURRENT);
        rows.push([
          path.name,
          mode === "1" ? "1 (sequential)" : `${CONCURRENT} (pipelined)`,
          Math.round(storeOps).toLocaleString("en-US"),
          Math.round(rawOps).toLocaleString("en-US"),
          `${ratio.toFixed(2)}×`,
          ratio >= REDIS_TARGET ? "pass" : "FAIL",
        ]);
      }
    }
    console.log(
      markdownTable(
        ["path", "callers", "store ops/s", "raw ioredis ops/s", "store / raw", `≥ ${REDIS_TARGET}×`],
        rows,
      ),
    );
    console.log(
      `node ${process.version}, redis-server on 127.0.0.1; store and raw in alternating ${BLOCK_MS} ms turns, ` +
        `${TURNS} each after ${WARMUP_MS} ms warm-up; ops/s: each side's median turn; store / raw: the median ` +
        "of the ratios of turns run next to each other",
    );
  } finally {
    raw.disconnect();
    await store.close();
    await server.destroy();
  }
}
