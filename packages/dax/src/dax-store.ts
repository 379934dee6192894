import {
  observationOf,
  type PreferenceStore,
  type RecordStore,
  type SessionStore,
  STORE_OBSERVATION,
  type StateStore,
  StoreEventHub,
  type StoreObservation,
  type StoreStats,
  type ToolCache,
} from "@agent-state/core";
import type { DynamoStateStore } from "@agent-state/dynamodb";
import { CircuitBreaker } from "./breaker.js";
import {
  canWrite,
  createRealDaxClient,
  type DaxClient,
  type DaxReadClient,
  type OwnedDaxClient,
} from "./dax-client.js";
import { DaxPreferences } from "./dax-preferences.js";
import { DaxRecords } from "./dax-records.js";
import { DaxRouter } from "./dax-router.js";
import { DaxSessions } from "./dax-sessions.js";
import { DaxWriteRouter, MAX_WRITE_REQUEST_BYTES, writeAllowanceMs } from "./dax-write-router.js";
import { type DaxEvent, type DaxStats, type MutableDaxCounters, zeroCounters } from "./events.js";
import { L1Cache } from "./l1-cache.js";
import { type DaxOptions, type ResolvedDaxOptions, resolveDaxOptions } from "./options.js";
import { OwnWrites } from "./own-writes.js";
import { ReadPath } from "./read-path.js";

/** How many recently written records the read-your-writes tracker remembers one by one. */
const MAX_TRACKED_WRITES = 100_000;

/**
 * Wraps a `DynamoStateStore` so its hot reads (sessions.get, messages, listByUser, preferences.get,
 * records.get) go L1 → DAX → DynamoDB (L1 → DynamoDB without `endpoints` or `client`), `records.range` goes
 * to DynamoDB (strongly consistent), and its session, preference and record writes go through DAX (so DAX's item cache stays fresh; DynamoDB checks the conditions) when the client can write;
 * the tool cache stays on DynamoDB. Takes ownership of `store`: `close()` closes it and shuts down the DAX
 * client the decorator created. Throws `ValidationError` for bad options.
 */
export function withDax(store: DynamoStateStore, options: DaxOptions): DaxStateStore {
  return new DaxStateStore(store, resolveDaxOptions(options, store.clock));
}

/** The `StateStore` that `withDax` returns; `daxStats()` shows what the caches and DAX did. */
export class DaxStateStore implements StateStore {
  readonly sessions: SessionStore;
  readonly toolCache: ToolCache;
  readonly preferences: PreferenceStore;
  readonly records: RecordStore;
  private readonly counters: MutableDaxCounters = zeroCounters();
  private readonly events = new StoreEventHub();
  private readonly breaker: CircuitBreaker;
  private readonly emit: (event: DaxEvent) => void;
  private owned: Promise<OwnedDaxClient> | null = null;
  private closed = false;

  constructor(
    private readonly store: DynamoStateStore,
    private readonly options: ResolvedDaxOptions,
  ) {
    this.emit = (event) => {
      try {
        options.onEvent(event);
      } catch {
        // An observer's bug must not fail a read.
      }
    };
    this.breaker = new CircuitBreaker(options.breaker, options.cacheClock, (state, consecutiveFailures) =>
      this.emit({ type: "breaker", state, consecutiveFailures }),
    );
    const router = new DaxRouter({
      daxClient: () => this.daxClient(),
      breaker: this.breaker,
      timeoutMs: options.timeoutMs,
      counters: this.counters,
      emit: this.emit,
    });
    // Without a DAX cluster (L1 only) the "DAX" side of a read is the store itself.
    const view = options.source.kind === "none" ? store : store.withClients(this.daxClients(router));
    const l1 = options.l1 === false ? null : new L1Cache(options.l1, options.cacheClock);
    const ownWrites = new OwnWrites({
      bypassWindowMs: options.bypassWindowMs,
      maxTracked: MAX_TRACKED_WRITES,
      now: options.cacheClock,
    });
    const path = new ReadPath(l1, ownWrites, this.counters, options.clock, this.events);
    // Reads and writes both go through the view; `store` is the strongly consistent way around DAX.
    this.sessions = new DaxSessions(store.sessions, view.sessions, path);
    // The tool cache's get counts a hit (a write), so it is never answered from a cache.
    this.toolCache = store.toolCache;
    this.preferences = new DaxPreferences(store.preferences, view.preferences, path);
    this.records = new DaxRecords(store.records, view.records, path);
  }

  /**
   * How telemetry sees the decorated store: the wrapped store's system, tables and capacity events, plus
   * where each cacheable read was answered (`read` events: l1, dax, dynamodb).
   */
  get [STORE_OBSERVATION](): StoreObservation {
    const inner = observationOf(this.store) as StoreObservation;
    return {
      system: inner.system,
      collections: inner.collections,
      emitsEvents: true,
      subscribe: (listener) => {
        const stops = [inner.subscribe(listener), this.events.subscribe(listener)];
        return () => {
          for (const stop of stops) stop();
        };
      },
    };
  }

  /** Counters since creation, and the breaker's state. */
  daxStats(): DaxStats {
    return { ...this.counters, breakerState: this.breaker.state };
  }

  /** Exact counts from DynamoDB (see `DynamoStateStore.stats`). */
  stats(): Promise<StoreStats> {
    return this.store.stats();
  }

  /** Shuts down the DAX client the decorator created (an injected one is left alone), then closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const owned = this.owned;
    this.owned = null;
    if (owned !== null) {
      try {
        (await owned).shutdown();
      } catch {
        // It never started: nothing to shut down.
      }
    }
    await this.store.close();
  }

  /** DAX reads always; DAX writes when the cluster's client can write (a read-only client leaves them on DynamoDB). */
  private daxClients(reader: DaxRouter): Parameters<DynamoStateStore["withClients"]>[0] {
    const { source } = this.options;
    if (source.kind === "client" && !canWrite(source.client)) return { reader };
    const deps = {
      daxClient: () => this.daxClient() as Promise<DaxClient>,
      breaker: this.breaker,
      clientTimeoutMs: this.options.timeoutMs,
      writeTimeoutMs: this.options.writeTimeoutMs,
      counters: this.counters,
      emit: this.emit,
    };
    return { reader, writer: (own) => new DaxWriteRouter(deps, own) };
  }

  private daxClient(): Promise<DaxReadClient | DaxClient> {
    const { source } = this.options;
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    if (source.kind === "client") return Promise.resolve(source.client);
    if (source.kind === "none") return Promise.reject(new Error("no DAX cluster configured"));
    if (this.owned === null) {
      const creating = createRealDaxClient({
        endpoints: source.endpoints,
        ...(source.region !== undefined ? { region: source.region } : {}),
        connectTimeoutMs: this.options.timeoutMs,
        requestTimeoutMs: Math.max(
          this.options.timeoutMs,
          this.options.writeTimeoutMs + writeAllowanceMs(MAX_WRITE_REQUEST_BYTES),
        ),
      });
      this.owned = creating;
      creating.then(
        () => this.emit({ type: "client-created" }),
        (error: unknown) => {
          // Try again on a later read (the breaker spaces the attempts out).
          if (this.owned === creating) this.owned = null;
          this.emit({ type: "client-failed", error });
        },
      );
    }
    return this.owned.then((owned) => owned.client);
  }
}
