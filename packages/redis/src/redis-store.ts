import {
  resolveCommonOptions,
  STORE_OBSERVATION,
  type StateStore,
  type StoreObservation,
  type StoreStats,
  staticObservation,
} from "@agent-state/core";
import type { RedisClient } from "./client.js";
import type { StoreContext } from "./context.js";
import { guarded } from "./errors.js";
import { KeySpace } from "./keys.js";
import { connect, type RedisStateStoreOptions } from "./options.js";
import { RedisPreferenceStore } from "./preference-store.js";
import { RedisRecordStore } from "./record-store.js";
import { RedisSessionStore } from "./session-store.js";
import { countRecords } from "./stats.js";
import { RedisToolCache } from "./tool-cache.js";

/**
 * The agent-state `StateStore` on Redis (standalone or Cluster) through ioredis. Every multi-step write
 * is one Lua script on keys sharing a hash tag; expiry is judged by the injected clock and also set on
 * every key, counted from the server's time (the remaining ttl plus a margin), so Redis reclaims the memory
 * and never drops a live record when the app's clock differs from the server's.
 */
export class RedisStateStore implements StateStore {
  readonly sessions: RedisSessionStore;
  readonly records: RedisRecordStore;
  readonly toolCache: RedisToolCache;
  readonly preferences: RedisPreferenceStore;
  /** The ioredis client in use (yours, or the one the store made). */
  readonly client: RedisClient;
  /** How telemetry names this store: `db.system.name` redis, the key prefix as every collection. */
  readonly [STORE_OBSERVATION]: StoreObservation;
  private readonly context: StoreContext;
  private readonly ownsClient: boolean;
  private closed = false;

  constructor(options: RedisStateStoreOptions = {}) {
    const common = resolveCommonOptions(options);
    const prefix = options.keyPrefix ?? "agent-state:";
    const keys = new KeySpace(prefix);
    this[STORE_OBSERVATION] = staticObservation("redis", {
      sessions: prefix,
      toolCache: prefix,
      preferences: prefix,
      records: prefix,
    });
    const { client, owned } = connect(options);
    this.client = client;
    this.ownsClient = owned;
    this.context = { client, keys, options: common };
    this.sessions = new RedisSessionStore(this.context);
    this.records = new RedisRecordStore(this.context);
    this.toolCache = new RedisToolCache(this.context);
    this.preferences = new RedisPreferenceStore(this.context);
  }

  /** Live sessions and cache entries; exact (`approximate: false`) up to EXACT_STATS_MAX_SESSIONS sessions. */
  stats(): Promise<StoreStats> {
    return guarded("stats", () => countRecords(this.context));
  }

  /** Quits the connection if the store made it; a connection you passed in stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed || !this.ownsClient) {
      this.closed = true;
      return;
    }
    this.closed = true;
    if (this.client.status === "end") return;
    // quit() resolves on Redis' OK, before the socket is closed; "end" is when nothing is left open.
    const ended = new Promise<void>((resolve) => this.client.once("end", () => resolve()));
    try {
      await this.client.quit();
    } catch {
      // Quit fails when the server is already gone; dropping the socket is all that is left to do.
      this.client.disconnect();
    }
    await ended;
  }
}
