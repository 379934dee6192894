import { LIMITS, type StateStore, ValidationError } from "@agent-state/core";
import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

export interface AgentStateSaverOptions {
  /** How channel values, writes and metadata become bytes; default LangGraph's `JsonPlusSerializer`. */
  serde?: SerializerProtocol;
  /**
   * Keep checkpoints and writes this long after they were written (channel blobs live twice as long and are
   * rewritten by a later put when they would otherwise expire before it): an idle thread disappears after
   * about this long. Default: never expire. At most `LIMITS.maxTtlSeconds / 2`.
   */
  ttlSeconds?: number;
  /** Prefix of every record scope this saver uses; default `"langgraph:"`. Two savers with different prefixes never see each other's threads. */
  scopePrefix?: string;
  /**
   * Keep the cross-thread index, so that `list` without a `thread_id` works: one more small write per
   * `put` to a single scope shared by every thread (on DynamoDB one partition key: ≤ 1000 WCU/s for all
   * puts together). Default true; with false, `list` without a `thread_id` throws `ValidationError`.
   */
  crossThreadIndex?: boolean;
  /** Epoch milliseconds now, for judging when a blob must be rewritten; default `Date.now`. Use the store's clock. */
  clock?: () => number;
  /**
   * Keep only the latest checkpoint of each namespace: every put stores all channel values in the new head
   * and then removes its parent checkpoint (its head, values, writes and index entry). No history (`list`
   * shows the latest; time travel to older checkpoints is gone); storage stays one checkpoint per namespace.
   * A put costs one more round trip and rewrites every channel. Default false.
   */
  shallow?: boolean;
  /**
   * With `ttlSeconds`: a `getTuple` that reads a checkpoint past half its ttl writes it again (whole, with
   * its pending writes and index entry) with a fresh ttl, so a thread that is only read stays alive. Costs
   * that read up to two more round trips and a write of every channel, at most once per half ttl. Default false.
   */
  refreshOnRead?: boolean;
  /**
   * Bytes of serialized channel values the saver keeps in memory (those it recently wrote or read; a value
   * never changes once stored), so that a `getTuple` does not read back the values its checkpoint carries
   * over from older ones: one request less. Default 8 MiB; 0 keeps none.
   */
  valueCacheBytes?: number;
}

export interface ResolvedSaverOptions {
  store: StateStore;
  ttlSeconds: number | undefined;
  blobTtlSeconds: number | undefined;
  scopePrefix: string;
  crossThreadIndex: boolean;
  clock: () => number;
  shallow: boolean;
  refreshOnRead: boolean;
  valueCacheBytes: number;
}

export function resolveSaverOptions(store: StateStore, opts: AgentStateSaverOptions): ResolvedSaverOptions {
  if (store === null || typeof store !== "object" || typeof store.records?.write !== "function") {
    throw new ValidationError("store", "must be a StateStore with records");
  }
  const { ttlSeconds } = opts;
  if (ttlSeconds !== undefined) {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > LIMITS.maxTtlSeconds / 2) {
      throw new ValidationError(
        "ttlSeconds",
        `must be a whole number of seconds, 1–${LIMITS.maxTtlSeconds / 2}`,
      );
    }
  }
  const scopePrefix = opts.scopePrefix ?? "langgraph:";
  if (typeof scopePrefix !== "string") throw new ValidationError("scopePrefix", "must be a string");
  if (opts.shallow !== undefined && typeof opts.shallow !== "boolean") {
    throw new ValidationError("shallow", "must be a boolean");
  }
  if (opts.refreshOnRead !== undefined && typeof opts.refreshOnRead !== "boolean") {
    throw new ValidationError("refreshOnRead", "must be a boolean");
  }
  if (opts.refreshOnRead === true && ttlSeconds === undefined) {
    throw new ValidationError("refreshOnRead", "needs ttlSeconds (without a ttl nothing expires)");
  }
  const valueCacheBytes = opts.valueCacheBytes ?? DEFAULT_VALUE_CACHE_BYTES;
  if (!Number.isSafeInteger(valueCacheBytes) || valueCacheBytes < 0) {
    throw new ValidationError("valueCacheBytes", "must be a whole number of bytes ≥ 0");
  }
  return {
    store,
    ttlSeconds,
    blobTtlSeconds: ttlSeconds === undefined ? undefined : ttlSeconds * 2,
    scopePrefix,
    crossThreadIndex: opts.crossThreadIndex ?? true,
    clock: opts.clock ?? Date.now,
    shallow: opts.shallow ?? false,
    refreshOnRead: opts.refreshOnRead ?? false,
    valueCacheBytes,
  };
}

const DEFAULT_VALUE_CACHE_BYTES = 8 * 1024 * 1024;

/** The scope of one thread's records, and of the cross-thread index. */
export function threadScope(o: ResolvedSaverOptions, threadId: string): string {
  return `${o.scopePrefix}thread:${threadId}`;
}

export function indexScope(o: ResolvedSaverOptions): string {
  return `${o.scopePrefix}index`;
}
