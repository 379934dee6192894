import type { StoreStats } from "@agent-state/core";
import { send } from "./client.js";
import type { StoreContext } from "./context.js";

/**
 * Up to this many registered sessions, `stats()` checks each one and its count is exact; past it, the
 * count is the registry's size (sessions registered until a time still ahead, which may include some
 * that stopped sliding and expired up to one ttl ago) and `approximate` is true.
 */
export const EXACT_STATS_MAX_SESSIONS = 1000;

/**
 * Counts from the two registries, never from a keyspace scan. Expired members are dropped first. Cache
 * entries do not slide, so their registry scores are their exact expiry and that count is exact.
 */
export async function countRecords(context: StoreContext): Promise<StoreStats> {
  const { client, keys, options } = context;
  const now = options.clock();
  const [sessionCounts, cacheCounts] = await Promise.all([
    Promise.all(keys.allSessionRegistries().map((registry) => liveCount(context, registry, now))),
    Promise.all(keys.allCacheRegistries().map((registry) => liveCount(context, registry, now))),
  ]);
  const sessionCandidates = sum(sessionCounts);
  const cacheEntries = sum(cacheCounts);
  if (sessionCandidates > EXACT_STATS_MAX_SESSIONS) {
    return { activeSessions: sessionCandidates, cacheEntries, approximate: true };
  }
  const shards = await Promise.all(
    keys
      .allSessionRegistries()
      .map((registry) => send(client, "ZRANGE", [registry, 0, -1]) as Promise<unknown[]>),
  );
  const ids = shards.flat().map(String);
  const expiries = await Promise.all(
    ids.map((id) => send(client, "HGET", [keys.sessionMeta(id), "expires"])),
  );
  const activeSessions = expiries.filter((expires) => expires !== null && now < Number(expires)).length;
  return { activeSessions, cacheEntries, approximate: false };
}

/** Drops the registry members whose time has passed; returns how many are left. */
async function liveCount(context: StoreContext, registry: string, now: number): Promise<number> {
  await send(context.client, "ZREMRANGEBYSCORE", [registry, "-inf", now]);
  return Number(await send(context.client, "ZCARD", [registry]));
}

function sum(counts: number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}
