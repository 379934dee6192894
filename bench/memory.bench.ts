/**
 * The in-memory store's hot paths against a naive baseline measured in the same run: a plain `Map` doing the
 * same logical work (build the key, look it up, update what the operation updates, copy the result out with
 * `structuredClone`), behind an `async` function so both sides pay the same promise overhead. The store also
 * validates its input; the baseline does not. Targets (issue 2): every path within 5× of its baseline, and
 * `toolCache.get` hit ≥ 200k ops/s.
 */
import { createHash } from "node:crypto";
import { canonicalJson, type Json, type Message, type Preferences, type Session } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import { Bench } from "tinybench";
import { markdownTable, opsPerSecond } from "./support.js";

const MESSAGES_IN_SESSION = 200;
const RECENT_MESSAGES = 20;
const WITHIN_FACTOR = 5;
const TOOL_CACHE_HIT_TARGET_OPS = 200_000;
const TTL_MS = 3_600_000;

const searchParams: Record<string, Json> = {
  query: "weather in Oslo tomorrow",
  limit: 10,
  filters: { lang: "en", safeSearch: true, sources: ["met.no", "yr.no"] },
};
const searchResult: Json = {
  results: Array.from({ length: 5 }, (_, i) => ({
    title: `Result ${i}`,
    url: `https://example.com/${i}`,
    score: i / 10,
  })),
};

function sampleMessage(i: number): {
  role: "user" | "assistant";
  content: string;
  metadata: Record<string, Json>;
} {
  return {
    role: i % 2 === 0 ? "user" : "assistant",
    content: `message ${i}: ${"lorem ipsum dolor sit amet ".repeat(4)}`,
    metadata: { tokens: 42 + i, model: "m-1" },
  };
}

/** The naive baseline: one `Map` per kind, no validation, no expiry checks beyond what the work needs. */
class NaiveMaps {
  readonly sessions = new Map<string, { session: Session; messages: Message[] }>();
  readonly cache = new Map<string, { value: Json; hitCount: number; cachedAt: number; expiresAt: number }>();
  readonly preferences = new Map<string, Preferences>();

  async getSession(sessionId: string, recent: number): Promise<Session & { recentMessages: Message[] }> {
    const record = this.sessions.get(sessionId)!;
    return structuredClone({ ...record.session, recentMessages: record.messages.slice(-recent) });
  }

  async append(sessionId: string, input: { role: Message["role"]; content: string }): Promise<Message[]> {
    const record = this.sessions.get(sessionId)!;
    const now = Date.now();
    const id = `m${String(record.messages.length + 1).padStart(12, "0")}`;
    const message: Message = { id, role: input.role, content: input.content, timestamp: now };
    record.messages.push(message);
    record.session.messageCount = record.messages.length;
    record.session.lastActiveAt = now;
    record.session.expiresAt = now + TTL_MS;
    return structuredClone([message]);
  }

  async cacheGet(toolName: string, params: Record<string, Json>): Promise<unknown> {
    const key = `${toolName}\u0000${createHash("sha256").update(canonicalJson(params)).digest("hex")}`;
    const entry = this.cache.get(key)!;
    entry.hitCount += 1;
    return structuredClone(entry);
  }

  async patch(userId: string, agentId: string, changes: Record<string, Json>): Promise<Preferences> {
    const key = JSON.stringify([userId, agentId]);
    const previous = this.preferences.get(key)!;
    const now = Date.now();
    const record: Preferences = {
      ...previous,
      values: { ...previous.values, ...structuredClone(changes) },
      version: previous.version + 1,
      updatedAt: now,
      expiresAt: now + TTL_MS,
    };
    this.preferences.set(key, record);
    return structuredClone(record);
  }
}

async function seed(store: MemoryStateStore, naive: NaiveMaps): Promise<void> {
  const messages = Array.from({ length: MESSAGES_IN_SESSION }, (_, i) => sampleMessage(i));
  for (const sessionId of ["read", "append"]) {
    await store.sessions.create({ sessionId, userId: "u1", state: { step: 3, plan: ["a", "b"] } });
    for (let i = 0; i < messages.length; i += 50)
      await store.sessions.append(sessionId, messages.slice(i, i + 50));
    const session = (await store.sessions.get(sessionId))!;
    const stored = (await store.sessions.messages(sessionId, { limit: 1000 })).items;
    naive.sessions.set(sessionId, { session, messages: stored });
  }
  await store.toolCache.set("search", searchParams, searchResult, { ttlSeconds: 3600 });
  const now = Date.now();
  const key = `search\u0000${createHash("sha256").update(canonicalJson(searchParams)).digest("hex")}`;
  naive.cache.set(key, { value: searchResult, hitCount: 0, cachedAt: now, expiresAt: now + TTL_MS });
  const prefs = await store.preferences.set("u1", "agent", {
    theme: "dark",
    fontSize: 14,
    shortcuts: { save: "s" },
  });
  naive.preferences.set(JSON.stringify(["u1", "agent"]), prefs);
}

interface HotPath {
  name: string;
  store: () => Promise<unknown>;
  baseline: () => Promise<unknown>;
}

function formatOps(ops: number): string {
  return Math.round(ops).toLocaleString("en-US");
}

export default async function memoryBench(): Promise<void> {
  const store = new MemoryStateStore();
  const naive = new NaiveMaps();
  await seed(store, naive);

  let patchCounter = 0;
  const paths: HotPath[] = [
    {
      name: `sessions.get (${RECENT_MESSAGES} recent of ${MESSAGES_IN_SESSION})`,
      store: () => store.sessions.get("read", { recentMessages: RECENT_MESSAGES }),
      baseline: () => naive.getSession("read", RECENT_MESSAGES),
    },
    {
      name: "sessions.append (1 message)",
      store: () =>
        store.sessions.append("append", { role: "user", content: "what is the weather tomorrow?" }),
      baseline: () => naive.append("append", { role: "user", content: "what is the weather tomorrow?" }),
    },
    {
      name: "toolCache.get (hit)",
      store: () => store.toolCache.get("search", searchParams),
      baseline: () => naive.cacheGet("search", searchParams),
    },
    {
      name: "preferences.patch (1 key)",
      store: () => store.preferences.patch("u1", "agent", { fontSize: patchCounter++ % 30 }),
      baseline: () => naive.patch("u1", "agent", { fontSize: patchCounter++ % 30 }),
    },
  ];

  const bench = new Bench({ time: 1000, warmupTime: 200 });
  for (const path of paths) {
    bench.add(`store: ${path.name}`, path.store, { async: true });
    bench.add(`baseline: ${path.name}`, path.baseline, { async: true });
  }
  await bench.run();

  const header = [
    "path",
    "store ops/s",
    "baseline ops/s",
    "ratio (baseline/store)",
    `within ${WITHIN_FACTOR}×`,
    "target",
  ];
  const rows = paths.map((path) => {
    const storeOps = opsPerSecond(bench.getTask(`store: ${path.name}`));
    const baselineOps = opsPerSecond(bench.getTask(`baseline: ${path.name}`));
    const ratio = baselineOps / storeOps;
    const target = path.name.startsWith("toolCache.get")
      ? `≥ ${formatOps(TOOL_CACHE_HIT_TARGET_OPS)} ops/s: ${storeOps >= TOOL_CACHE_HIT_TARGET_OPS ? "yes" : "NO"}`
      : "";
    return [
      path.name,
      formatOps(storeOps),
      formatOps(baselineOps),
      `${ratio.toFixed(2)}×`,
      ratio <= WITHIN_FACTOR ? "yes" : "NO",
      target,
    ];
  });
  console.log(markdownTable(header, rows));
  console.log(`\nnode ${process.version}, ${bench.time} ms per task after ${bench.warmupTime} ms warm-up`);
  await store.close();
}
