import type { BreakerState } from "./breaker.js";

/** The read operations the decorator can send to DAX. */
export type DaxOperation = "get" | "query" | "batchGet";

/** Why a read went to DynamoDB instead of DAX. */
export type FallbackReason = "error" | "timeout" | "breaker-open";

/** Something the decorator did that an operator may want to see (pass `onEvent` to `withDax`). */
export type DaxEvent =
  | { type: "fallback"; operation: DaxOperation; reason: FallbackReason; error?: unknown }
  | { type: "breaker"; state: BreakerState; consecutiveFailures: number }
  | { type: "client-created" }
  | { type: "client-failed"; error: unknown };

/** Counters since `withDax` was called; read them with `daxStats()`. */
export interface DaxStats {
  /** Reads answered from the in-process L1 cache. */
  l1Hits: number;
  /** Cacheable reads the L1 could not answer. */
  l1Misses: number;
  /** Reads DAX answered. */
  daxReads: number;
  /** DAX attempts that failed (error or timeout). */
  daxFailures: number;
  /** Of those, the ones that hit `timeoutMs`. */
  daxTimeouts: number;
  /** Reads sent to DynamoDB because DAX failed, timed out or the breaker was open. */
  fallbacks: number;
  /** Reads sent straight to DynamoDB because this process wrote the record within the DAX TTL window. */
  ownWriteBypasses: number;
  breakerState: BreakerState;
}

export type MutableDaxCounters = Omit<DaxStats, "breakerState">;

export function zeroCounters(): MutableDaxCounters {
  return {
    l1Hits: 0,
    l1Misses: 0,
    daxReads: 0,
    daxFailures: 0,
    daxTimeouts: 0,
    fallbacks: 0,
    ownWriteBypasses: 0,
  };
}
