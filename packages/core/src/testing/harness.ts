import { afterEach, beforeEach } from "vitest";
import { ManualClock } from "../clock.js";
import type { Clock, MessageInput, StateStore } from "../types.js";

export { ManualClock };

/**
 * Flags for what a backend's engine truly cannot do. Each flag's doc comment must say why; a flag is never
 * a way to make a failing backend pass. There are none yet: every backend runs every test.
 */
// biome-ignore lint/complexity/noBannedTypes: reserved for documented engine limits
export type ContractCapabilities = {};

export interface StateStoreContractOptions {
  /** Runs once before the suite (start servers here). */
  beforeAll?: () => Promise<void> | void;
  /** A new store isolated from every other (own table names or key prefix), judging expiry by `clock`. */
  create: (context: { clock: Clock }) => Promise<StateStore> | StateStore;
  /** Runs after each test, before the suite calls `store.close()` (drop tables or keys here). */
  destroy?: (store: StateStore) => Promise<void> | void;
  /** Runs once after the suite (stop servers here). */
  afterAll?: () => Promise<void> | void;
  capabilities?: ContractCapabilities;
}

export interface StoreFixture {
  store: StateStore;
  clock: ManualClock;
}

/** Gives each test of the enclosing `describe` a fresh store and clock, closed after the test. */
export function useStore(options: StateStoreContractOptions): StoreFixture {
  const fixture = {} as StoreFixture;
  beforeEach(async () => {
    fixture.clock = new ManualClock();
    fixture.store = await options.create({ clock: fixture.clock.now });
  });
  afterEach(async () => {
    const store = fixture.store;
    if (!store) return;
    try {
      await options.destroy?.(store);
    } finally {
      await store.close();
      await store.close(); // close() must be idempotent
    }
  });
  return fixture;
}

/** The error code a promise rejects with (fails the test if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { code?: unknown }).code ?? `not a StateStoreError: ${String(error)}`);
  }
  return "resolved (expected a rejection)";
}

/** Settles every promise and splits the results. */
export async function settle<T>(promises: Promise<T>[]): Promise<{ fulfilled: T[]; rejected: unknown[] }> {
  const results = await Promise.allSettled(promises);
  const fulfilled: T[] = [];
  const rejected: unknown[] = [];
  for (const r of results) {
    if (r.status === "fulfilled") fulfilled.push(r.value);
    else rejected.push(r.reason);
  }
  return { fulfilled, rejected };
}

/** Reads every page of a listing, asserting nothing about it; returns items and the number of pages. */
export async function readAllPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; cursor: string | null }>,
  maxPages = 10_000,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (page.cursor === null) return { items, pages };
    cursor = page.cursor;
  }
  throw new Error(`listing did not end within ${maxPages} pages`);
}

/** Tests that do real work against a server get this much time. */
export const SLOW_TEST_TIMEOUT_MS = 120_000;

/** `count` messages alternating user and assistant, with contents `${prefix}0`, `${prefix}1`, … */
export function turns(count: number, prefix = "t"): MessageInput[] {
  return Array.from({ length: count }, (_, i) => ({
    role: i % 2 === 0 ? ("user" as const) : ("assistant" as const),
    content: `${prefix}${i}`,
  }));
}
