import {
  type CommonStoreOptions,
  resolveCommonOptions,
  STORE_OBSERVATION,
  type StateStore,
  type StoreStats,
  staticObservation,
  ValidationError,
} from "@agent-state/core";
import { MemoryPreferenceStore } from "./preferences.js";
import { MemoryRecordStore } from "./records.js";
import { MemorySessionStore } from "./sessions.js";
import { MemoryToolCache } from "./tool-cache.js";

export interface MemoryStateStoreOptions extends CommonStoreOptions {
  /**
   * How often (in the store's clock time) a write also sweeps every expired record, so memory held by records
   * nobody reads again is reclaimed. Default 60 000 ms; 0 sweeps on every write, Infinity only on `sweep()`.
   * Expired records are also freed when touched.
   */
  sweepIntervalMs?: number;
}

/**
 * The in-memory `StateStore`: the reference implementation and the test double for agent developers' unit
 * tests. Exact: every object crosses the boundary as a copy, expiry follows the injected clock, and each
 * operation is atomic (it runs without awaiting anything), so concurrency behaves as on the real backends.
 * Nothing survives the process.
 */
export class MemoryStateStore implements StateStore {
  readonly sessions: MemorySessionStore;
  readonly toolCache: MemoryToolCache;
  readonly preferences: MemoryPreferenceStore;
  readonly records: MemoryRecordStore;
  /** How telemetry names this store (`db.system.name` memory); it has no requests to report. */
  readonly [STORE_OBSERVATION] = staticObservation("memory", {
    sessions: "sessions",
    toolCache: "tool-cache",
    preferences: "preferences",
    records: "records",
  });
  private readonly clock: () => number;
  private readonly sweepIntervalMs: number;
  private lastSweepAt: number;

  constructor(options: MemoryStateStoreOptions = {}) {
    const resolved = resolveCommonOptions(options);
    this.clock = resolved.clock;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    // NaN would never sweep (a silent leak); 0 sweeps on every write; Infinity only on `sweep()`.
    if (!(this.sweepIntervalMs >= 0)) {
      throw new ValidationError(
        "sweepIntervalMs",
        `must be a number of milliseconds ≥ 0, got ${this.sweepIntervalMs}`,
      );
    }
    this.lastSweepAt = this.clock();
    const sweeping = <T extends object>(target: T): T => this.sweepOnWrite(target);
    this.sessions = sweeping(new MemorySessionStore(resolved));
    this.toolCache = sweeping(new MemoryToolCache(resolved));
    this.preferences = sweeping(new MemoryPreferenceStore(resolved));
    this.records = sweeping(new MemoryRecordStore(resolved));
  }

  async stats(): Promise<StoreStats> {
    const now = this.clock();
    return {
      activeSessions: this.sessions.countLive(now),
      cacheEntries: this.toolCache.countLive(now),
      approximate: false,
    };
  }

  /** Frees every expired record now. */
  sweep(): void {
    const now = this.clock();
    this.lastSweepAt = now;
    this.sessions.sweep(now);
    this.toolCache.sweep(now);
    this.preferences.sweep(now);
    this.records.sweep(now);
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.toolCache.clear();
    this.preferences.clear();
    this.records.dropAll();
  }

  private maybeSweep(): void {
    if (this.clock() - this.lastSweepAt >= this.sweepIntervalMs) this.sweep();
  }

  /** Wraps the write methods so each first runs a sweep when one is due. */
  private sweepOnWrite<T extends object>(target: T): T {
    const writes = new Set([
      "create",
      "update",
      "append",
      "truncate",
      "delete",
      "set",
      "patch",
      "invalidate",
      "write",
      "clear",
    ]);
    return new Proxy(target, {
      get: (obj, property, receiver) => {
        const value = Reflect.get(obj, property, receiver);
        if (typeof value !== "function" || typeof property !== "string" || !writes.has(property))
          return value;
        return (...args: unknown[]) => {
          this.maybeSweep();
          return (value as (...a: unknown[]) => unknown).apply(obj, args);
        };
      },
    });
  }
}
