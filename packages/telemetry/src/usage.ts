import { BoundedMap, type Millis } from "@agent-state/core";

/** What a telemetry-wrapped store measured since it was built (or since `resetUsage()`), for the cost meter. */
export interface UsageSnapshot {
  /** When measuring began and when this snapshot was taken (epoch ms). */
  startedAt: Millis;
  endedAt: Millis;
  /** Store calls per `db.operation.name`, e.g. `{ "sessions.append": 2 }`. */
  calls: Record<string, number>;
  /**
   * DynamoDB capacity per table and store operation, as the backend reported it (`operation` is
   * `background` for requests no store call made, e.g. a message-ttl refresh).
   */
  capacity: CapacityUsage[];
  toolCache: { hits: number; misses: number };
  /** Where cacheable reads were answered (a DAX-decorated store reports these). */
  readsServed: { l1: number; dax: number; dynamodb: number };
  /** Session reads (`sessions.get`, `sessions.messages`) and what a read cache could have served. */
  sessionReads: SessionReadUsage;
  failovers: number;
  throttles: number;
  retries: number;
}

export interface CapacityUsage {
  table: string;
  operation: string;
  /** DynamoDB requests sent. */
  requests: number;
  readUnits: number;
  writeUnits: number;
}

export interface SessionReadUsage {
  total: number;
  /** The most reads one session received within one second. */
  peakPerSecondPerSession: number;
  /**
   * Reads of a session that was read before, within the cache window, with no write to it since: the reads a
   * read-through cache (DAX's item cache) would have answered.
   */
  repeatReads: number;
}

/** A DAX item cache entry lives 5 minutes by default: a repeat read within it is a hit. */
const CACHE_WINDOW_MS = 300_000;
/** Sessions remembered for the repeat-read estimate (oldest forgotten first). */
const MAX_TRACKED_SESSIONS = 10_000;

/** Counts what the decorator sees; every method is O(1) on the hot path. */
export class UsageRecorder {
  private startedAt: Millis;
  private calls = new Map<string, { n: number }>();
  private capacity = new Map<string, CapacityUsage>();
  private toolCache = { hits: 0, misses: 0 };
  private readsServed = { l1: 0, dax: 0, dynamodb: 0 };
  private sessionReads = { total: 0, peakPerSecondPerSession: 0, repeatReads: 0 };
  private failovers = 0;
  private throttles = 0;
  private retries = 0;
  /** Per session: when it was last read while clean (no write since), or null after a write. */
  private lastCleanRead = new BoundedMap<string, Millis | null>(MAX_TRACKED_SESSIONS);
  private second = -1;
  private readsThisSecond = new Map<string, number>();

  constructor(private readonly now: () => Millis) {
    this.startedAt = now();
  }

  /** The call counter of `operation` (one cell per name; the caller increments `n`). */
  counter(operation: string): { n: number } {
    let cell = this.calls.get(operation);
    if (cell === undefined) {
      cell = { n: 0 };
      this.calls.set(operation, cell);
    }
    return cell;
  }

  sessionRead(sessionId: string): void {
    const now = this.now();
    this.sessionReads.total++;
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.readsThisSecond.clear();
    }
    const count = (this.readsThisSecond.get(sessionId) ?? 0) + 1;
    this.readsThisSecond.set(sessionId, count);
    if (count > this.sessionReads.peakPerSecondPerSession) this.sessionReads.peakPerSecondPerSession = count;
    const last = this.lastCleanRead.get(sessionId);
    if (last !== undefined && last !== null && now - last <= CACHE_WINDOW_MS) this.sessionReads.repeatReads++;
    this.remember(sessionId, now);
  }

  sessionWrite(sessionId: string): void {
    if (this.lastCleanRead.has(sessionId)) this.remember(sessionId, null);
  }

  toolCacheLookup(hit: boolean): void {
    if (hit) this.toolCache.hits++;
    else this.toolCache.misses++;
  }

  capacityUsed(
    table: string,
    operation: string,
    readUnits: number,
    writeUnits: number,
    request: boolean,
  ): void {
    const key = `${table}\u0000${operation}`;
    let entry = this.capacity.get(key);
    if (entry === undefined) {
      entry = { table, operation, requests: 0, readUnits: 0, writeUnits: 0 };
      this.capacity.set(key, entry);
    }
    if (request) entry.requests++;
    entry.readUnits += readUnits;
    entry.writeUnits += writeUnits;
  }

  readServed(source: "l1" | "dax" | "dynamodb"): void {
    this.readsServed[source]++;
  }

  failover(): void {
    this.failovers++;
  }

  throttle(): void {
    this.throttles++;
  }

  retry(count: number): void {
    this.retries += count;
  }

  snapshot(): UsageSnapshot {
    return {
      startedAt: this.startedAt,
      endedAt: this.now(),
      calls: Object.fromEntries(
        [...this.calls].filter(([, cell]) => cell.n > 0).map(([name, cell]) => [name, cell.n]),
      ),
      capacity: [...this.capacity.values()].map((entry) => ({ ...entry })),
      toolCache: { ...this.toolCache },
      readsServed: { ...this.readsServed },
      sessionReads: { ...this.sessionReads },
      failovers: this.failovers,
      throttles: this.throttles,
      retries: this.retries,
    };
  }

  reset(): void {
    this.startedAt = this.now();
    for (const cell of this.calls.values()) cell.n = 0;
    this.capacity.clear();
    this.toolCache = { hits: 0, misses: 0 };
    this.readsServed = { l1: 0, dax: 0, dynamodb: 0 };
    this.sessionReads = { total: 0, peakPerSecondPerSession: 0, repeatReads: 0 };
    this.failovers = 0;
    this.throttles = 0;
    this.retries = 0;
    this.lastCleanRead.clear();
    this.readsThisSecond.clear();
  }

  private remember(sessionId: string, value: Millis | null): void {
    this.lastCleanRead.set(sessionId, value);
  }
}
