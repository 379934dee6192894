import { LRUCache } from "lru-cache";

export interface OwnWritesOptions {
  /** How long after one of its own writes this process keeps a record's reads away from DAX. */
  bypassWindowMs: number;
  /** How many recently written records to remember individually. */
  maxTracked: number;
  now: () => number;
}

/**
 * What this process wrote, and when. Two uses:
 * - read-your-writes: our writes go to DynamoDB directly, so DAX's item and query caches keep the old
 *   answer for up to their TTL; `mustBypassDax(scope)` says a read must go straight to DynamoDB;
 * - a write sequence per scope, so the L1 never keeps an answer read before a write that finished later.
 * A scope names what a write touches: one session, one preference record, or every user listing.
 */
export class OwnWrites {
  private readonly bypassUntil: LRUCache<string, number>;
  private readonly lastWriteSeq: LRUCache<string, number>;
  private sequence = 0;
  // When a remembered entry is pushed out early, every scope inherits it: safe, merely less cached.
  private forgottenBypassUntil = 0;
  private forgottenWriteSeq = 0;

  constructor(private readonly options: OwnWritesOptions) {
    this.bypassUntil = new LRUCache<string, number>({
      max: options.maxTracked,
      dispose: (until, _scope, reason) => {
        if (reason === "evict") this.forgottenBypassUntil = Math.max(this.forgottenBypassUntil, until);
      },
    });
    this.lastWriteSeq = new LRUCache<string, number>({
      max: options.maxTracked,
      dispose: (seq, _scope, reason) => {
        if (reason === "evict") this.forgottenWriteSeq = Math.max(this.forgottenWriteSeq, seq);
      },
    });
  }

  /** The current position in this process's write sequence; pass it to `changedSince` after a read. */
  position(): number {
    return this.sequence;
  }

  /**
   * Records a write to `scopes`, on starting it and again on finishing it (successful or not, since a failed
   * write may still have been applied): reads of those scopes bypass DAX for the window after the finish,
   * and answers read before the finish are no longer fit for the L1.
   */
  record(scopes: readonly string[]): void {
    const until = this.options.now() + this.options.bypassWindowMs;
    const seq = ++this.sequence;
    for (const scope of scopes) {
      this.bypassUntil.set(scope, Math.max(until, this.bypassUntil.get(scope) ?? 0));
      this.lastWriteSeq.set(scope, seq);
    }
  }

  /** True while a read of `scope` could get a DAX answer older than one of our writes. */
  mustBypassDax(scope: string): boolean {
    const until = Math.max(this.bypassUntil.get(scope) ?? 0, this.forgottenBypassUntil);
    return this.options.now() < until;
  }

  /** True when a write to `scope` was recorded after `position` (so an answer read from there may be stale). */
  changedSince(scope: string, position: number): boolean {
    return Math.max(this.lastWriteSeq.get(scope) ?? 0, this.forgottenWriteSeq) > position;
  }
}
