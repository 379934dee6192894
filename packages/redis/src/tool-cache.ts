import {
  type CachedResult,
  checkedParamsHash,
  expiresAtFrom,
  hashParams,
  type Json,
  parseToolCacheSet,
  type ToolCache,
  validateToolName,
} from "@agent-state/core";
import { send } from "./client.js";
import type { StoreContext } from "./context.js";
import { guarded } from "./errors.js";
import { physicalTtlMs } from "./expiry.js";
import { CACHE_GET, CACHE_REMOVE, CACHE_SET } from "./scripts/cache-scripts.js";
import { REGISTER } from "./scripts/index-scripts.js";

// Entries removed per script call by invalidate(tool), so one call never blocks Redis for long.
const INVALIDATE_BATCH = 500;

/** Tool results as one hash per entry, indexed per tool (by expiry) under the tool's hash tag. */
export class RedisToolCache implements ToolCache {
  constructor(private readonly context: StoreContext) {}

  /** The live entry for this tool and these parameters, counting the hit atomically (one script). */
  async get<T extends Json>(toolName: string, params: Record<string, Json>): Promise<CachedResult<T> | null> {
    validateToolName(toolName);
    const hash = checkedParamsHash(params);
    const now = this.context.options.clock();
    const reply = (await guarded("toolCache.get", () =>
      CACHE_GET.run(this.context.client, [this.context.keys.cacheEntry(toolName, hash)], []),
    )) as [string, number, string, string] | null;
    if (reply === null || Number(reply[3]) <= now) return null;
    return {
      value: JSON.parse(reply[0]) as T,
      hitCount: Number(reply[1]),
      cachedAt: Number(reply[2]),
      expiresAt: Number(reply[3]),
    };
  }

  /** Stores (or replaces, resetting the hit count) the result for `ttlSeconds`. */
  async set<T extends Json>(
    toolName: string,
    params: Record<string, Json>,
    value: T,
    opts: { ttlSeconds: number },
  ): Promise<void> {
    const checked = parseToolCacheSet(toolName, params, value, opts);
    const hash = hashParams(checked.params);
    const valueJson = JSON.stringify(checked.value);
    const ttlSeconds = checked.ttlSeconds;
    const { client, keys, options } = this.context;
    const now = options.clock();
    const expiresAtMs = expiresAtFrom(now, ttlSeconds);
    const expiresAt = String(expiresAtMs);
    const member = keys.cacheRegistryMember(checked.toolName, hash);
    await guarded("toolCache.set", () =>
      Promise.all([
        CACHE_SET.run(
          client,
          [keys.cacheEntry(checked.toolName, hash), keys.toolIndex(checked.toolName)],
          [String(now), expiresAt, valueJson, hash, String(physicalTtlMs(expiresAtMs, now))],
        ),
        REGISTER.run(client, [keys.cacheRegistry(member)], [String(now), expiresAt, member, ""]),
      ]),
    );
  }

  /**
   * Removes one entry, or with no `params` every entry the tool's index lists (in batches), and
   * nothing of any other tool. No keyspace scan: the tool's index knows its entries.
   */
  async invalidate(toolName: string, params?: Record<string, Json>): Promise<void> {
    validateToolName(toolName);
    const hashes = params === undefined ? null : [checkedParamsHash(params)];
    const { client, keys } = this.context;
    await guarded("toolCache.invalidate", async () => {
      const all =
        hashes ??
        ((await send(client, "ZRANGE", [keys.toolIndex(toolName), 0, -1])) as unknown[]).map(String);
      for (let start = 0; start < all.length; start += INVALIDATE_BATCH) {
        const batch = all.slice(start, start + INVALIDATE_BATCH);
        const entryKeys = batch.map((hash) => keys.cacheEntry(toolName, hash));
        const byRegistry = new Map<string, string[]>();
        for (const hash of batch) {
          const member = keys.cacheRegistryMember(toolName, hash);
          const registry = keys.cacheRegistry(member);
          byRegistry.set(registry, [...(byRegistry.get(registry) ?? []), member]);
        }
        await Promise.all([
          CACHE_REMOVE.run(client, [keys.toolIndex(toolName), ...entryKeys], batch),
          ...[...byRegistry].map(([registry, members]) => send(client, "ZREM", [registry, ...members])),
        ]);
      }
    });
  }
}
