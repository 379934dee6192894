import { ManualClock } from "@agent-state/core/testing";
import type { DynamoStateStore, TableNames } from "@agent-state/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach } from "vitest";
import { type DaxEvent, type DaxReadClient, type DaxStateStore, withDax } from "../../src/index.js";
import { DaxDouble } from "./dax-double.js";
import { NO_TIMEOUT_MS } from "./dynamo.js";
import { freshDynamoStore, sameTablesStore } from "./stores.js";

export interface ProcessOptions {
  l1?: false;
  writeTimeoutMs?: number;
  failureThreshold?: number;
  /** Another DAX client than the shared double (e.g. a read-only or a flaky wrapper around it). */
  client?: DaxReadClient;
  onEvent?: (event: DaxEvent) => void;
}

/** Processes sharing one DAX cluster (the double) and fresh tables, renewed for every test. */
export interface SharedDax {
  readonly storeClock: ManualClock;
  readonly tables: TableNames;
  readonly dax: DaxDouble;
  /** Moves the clock of the caches (the L1's and the double's TTLs), not the store's. */
  advanceCaches(ms: number): void;
  /** A process: its own withDax over its own store on the tables, with the shared double as its DAX. */
  processWith(options?: ProcessOptions): DaxStateStore;
  /** A store on the same tables without DAX: its writes bypass DAX's caches, its reads are strong. */
  outsider(): DynamoStateStore;
}

/**
 * Registers the hooks that give each test of the enclosing `describe` fresh tables and a fresh DAX double
 * (item and query TTL `ttlMs`), and closes the processes it opened afterwards. Stores send their own
 * requests with `storeClient`, the double with `daxClient`, setup and the outsider with `setupClient`.
 */
export function useSharedDax(clients: {
  setupClient: DynamoDBClient;
  storeClient: DynamoDBClient;
  daxClient: DynamoDBClient;
  ttlMs: number;
}): SharedDax {
  const storeClock = new ManualClock();
  let cacheNowMs = 1_000_000;
  const cacheClock = () => cacheNowMs;
  let tables: TableNames | undefined;
  let dax: DaxDouble | undefined;
  let drop: () => Promise<void> = async () => {};
  const opened: DaxStateStore[] = [];
  const current = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useSharedDax: only inside a test");
    return value;
  };

  beforeEach(async () => {
    const fresh = await freshDynamoStore(clients.setupClient, storeClock.now);
    ({ tables, drop } = fresh);
    dax = new DaxDouble(DynamoDBDocument.from(clients.daxClient), {
      itemTtlMs: clients.ttlMs,
      queryTtlMs: clients.ttlMs,
      now: cacheClock,
    });
  });
  afterEach(async () => {
    dax?.shutdown();
    for (const store of opened.splice(0)) await store.close();
    await drop();
  });

  return {
    storeClock,
    get tables() {
      return current(tables);
    },
    get dax() {
      return current(dax);
    },
    advanceCaches(ms) {
      cacheNowMs += ms;
    },
    processWith(options = {}) {
      const store = withDax(sameTablesStore(clients.storeClient, current(tables), storeClock.now), {
        client: options.client ?? current(dax),
        cacheClock,
        daxTtlMs: clients.ttlMs,
        timeoutMs: NO_TIMEOUT_MS,
        writeTimeoutMs: options.writeTimeoutMs ?? NO_TIMEOUT_MS,
        breaker: { failureThreshold: options.failureThreshold ?? 5 },
        ...(options.l1 === false ? { l1: false as const } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      opened.push(store);
      return store;
    },
    outsider() {
      return sameTablesStore(clients.setupClient, current(tables), storeClock.now);
    },
  };
}
