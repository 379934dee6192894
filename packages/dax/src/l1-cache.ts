import { LRUCache } from "lru-cache";
import { approximateBytes } from "./approximate-bytes.js";
import { nonNegative, positiveInteger } from "./option-checks.js";

/** Bounds of the in-process cache. */
export interface L1Options {
  /** Most entries kept. Default 10,000. */
  maxEntries?: number;
  /** Most bytes kept (JSON size in UTF-16 code units × 2, plus the length of binary values). Default 64 MiB. */
  maxBytes?: number;
  /** How long an entry may be served after it was read. Default 1,000 ms. */
  ttlMs?: number;
}

interface Entry {
  value: unknown;
  /** The write-sequence position when the read that produced `value` started. */
  readFrom: number;
  /** The record's own expiry (epoch ms, judged by the store's clock), when it has one. */
  expiresAt: number | null;
}

/**
 * An in-process LRU of read answers, bounded by entries, bytes and a short TTL (on `now`). Values are cloned
 * in and out so callers can never mutate what is cached. Entries are grouped by `scope` only through their
 * key; staleness after our own writes is judged by the caller via `readFrom`.
 */
export class L1Cache {
  private readonly cache: LRUCache<string, Entry>;

  constructor(options: L1Options, now: () => number) {
    const maxBytes = positiveInteger("l1.maxBytes", options.maxBytes ?? 64 * 1024 * 1024);
    this.cache = new LRUCache<string, Entry>({
      max: positiveInteger("l1.maxEntries", options.maxEntries ?? 10_000),
      maxSize: maxBytes,
      maxEntrySize: maxBytes,
      sizeCalculation: (entry) => Math.max(1, approximateBytes(entry.value)),
      ttl: positiveInteger("l1.ttlMs", nonNegative("l1.ttlMs", options.ttlMs ?? 1_000)),
      // Read the clock on every lookup (the default caches it for 1 ms, which an injected clock must not see).
      ttlResolution: 0,
      perf: { now },
    });
  }

  /** The cached entry for `key`, or undefined. The caller checks `readFrom` and `expiresAt` before serving. */
  peek(key: string): { value: unknown; readFrom: number; expiresAt: number | null } | undefined {
    const entry = this.cache.get(key);
    return entry === undefined ? undefined : { ...entry, value: structuredClone(entry.value) };
  }

  /** Keeps `value` (a clone of it) for `key`; too large an entry is silently not kept. */
  set(key: string, value: unknown, readFrom: number, expiresAt: number | null): void {
    this.cache.set(key, { value: structuredClone(value), readFrom, expiresAt });
  }

  delete(key: string): void {
    this.cache.delete(key);
  }

  get size(): number {
    return this.cache.size;
  }

  get calculatedBytes(): number {
    return this.cache.calculatedSize;
  }

  clear(): void {
    this.cache.clear();
  }
}
