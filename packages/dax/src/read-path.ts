import { type Clock, isExpired, type StoreEventHub } from "@agent-state/core";
import { isDaxUnavailable } from "./dax-router.js";
import type { MutableDaxCounters } from "./events.js";
import type { L1Cache } from "./l1-cache.js";
import type { OwnWrites } from "./own-writes.js";

/** One read as the decorator sees it. */
export interface ReadRequest<T> {
  /** The records the read depends on (see `OwnWrites`): the answer is stale after a write to any of them. */
  scopes: readonly string[];
  /** The L1 key for this exact read, or null when its answer is never kept in the L1. */
  l1Key: string | null;
  /** The read through DAX; may throw `DaxUnavailableError` (possibly as the `cause` of the store's error). */
  viaDax: () => Promise<T>;
  /** The same read sent to DynamoDB by the wrapped store itself (strongly consistent). */
  direct: () => Promise<T>;
  /**
   * The answer's own expiry (epoch ms, `Infinity` for one that never expires), or null for an answer not
   * worth keeping (e.g. a missing record).
   */
  expiresAtOf: (answer: T) => number | null;
}

/**
 * The order every cacheable read follows: L1 (if the answer is younger than the L1 TTL, not older than one
 * of our writes to the same record, and not expired on the store's clock) → DynamoDB directly when this
 * process wrote the record within the DAX TTL window (DAX may still hold the old answer) → DAX → DynamoDB
 * when DAX cannot answer.
 */
export class ReadPath {
  constructor(
    private readonly l1: L1Cache | null,
    private readonly ownWrites: OwnWrites,
    private readonly counters: MutableDaxCounters,
    private readonly storeClock: Clock,
    /** Told where each read was answered (`read` events), for telemetry. */
    private readonly events: StoreEventHub | null = null,
  ) {}

  async read<T>(request: ReadRequest<T>): Promise<T> {
    const { l1 } = this;
    const l1Key = l1 === null ? null : request.l1Key;
    if (l1 !== null && l1Key !== null) {
      const entry = l1.peek(l1Key);
      if (entry !== undefined) {
        const fresh = !this.changedSince(request.scopes, entry.readFrom);
        const live = entry.expiresAt === null || !isExpired(entry.expiresAt, this.storeClock());
        if (fresh && live) {
          this.counters.l1Hits++;
          if (this.events?.active) this.events.emit({ type: "read", servedBy: "l1" });
          return entry.value as T;
        }
        l1.delete(l1Key);
      }
      this.counters.l1Misses++;
    }
    const readFrom = this.ownWrites.position();
    let answer: T;
    let servedBy: "dax" | "dynamodb" = "dynamodb";
    if (request.scopes.some((scope) => this.ownWrites.mustBypassDax(scope))) {
      this.counters.ownWriteBypasses++;
      answer = await request.direct();
    } else {
      try {
        answer = await request.viaDax();
        servedBy = "dax";
      } catch (error) {
        // DAX failed somewhere inside the read (already counted and reported): redo it all on DynamoDB.
        if (!isDaxUnavailable(error)) throw error;
        answer = await request.direct();
      }
    }
    if (this.events?.active) this.events.emit({ type: "read", servedBy });
    if (l1 !== null && l1Key !== null && !this.changedSince(request.scopes, readFrom)) {
      const expiresAt = request.expiresAtOf(answer);
      if (expiresAt !== null) l1.set(l1Key, answer, readFrom, expiresAt);
    }
    return answer;
  }

  private changedSince(scopes: readonly string[], position: number): boolean {
    return scopes.some((scope) => this.ownWrites.changedSince(scope, position));
  }

  /** Runs one of our writes, recording it against `scopes` before it starts and after it ends (even failed). */
  async write<T>(
    scopes: readonly string[],
    run: () => Promise<T>,
    scopesOfResult?: (result: T) => string[],
  ): Promise<T> {
    this.ownWrites.record(scopes);
    let result: T | undefined;
    try {
      result = await run();
      return result;
    } finally {
      const extra = result !== undefined && scopesOfResult ? scopesOfResult(result) : [];
      this.ownWrites.record([...scopes, ...extra]);
    }
  }
}

/**
 * Scope names: one per session, preference record and record key, one per record scope (what `clear`
 * touches), and one for every user listing.
 */
export const scopes = {
  session: (sessionId: string) => `s:${sessionId}`,
  preferences: (userId: string, agentId: string) => `p:${JSON.stringify([userId, agentId])}`,
  /** One record: written by a put or delete of its key, and by `clear` through `recordScope`. */
  record: (scope: string, key: string) => `r:${JSON.stringify([scope, key])}`,
  /** Every record of a scope: written by `clear`. */
  recordScope: (scope: string) => `R:${JSON.stringify(scope)}`,
  /** `listByUser` depends on every session of a user; our session writes do not know the user, so one scope. */
  userListings: "u",
} as const;
