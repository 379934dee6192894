import type { BreakerState } from "./breaker.js";

/** The operations the decorator can send to DAX: reads, and writes when the client can write. */
export type DaxOperation = "get" | "query" | "batchGet" | DaxWriteOperation;

/** The writes the decorator can send to DAX. */
export type DaxWriteOperation = "put" | "update" | "delete" | "transactWrite" | "batchWrite";

/** Why a read or a write went to DynamoDB instead of DAX (a write only when it never reached DAX). */
export type FallbackReason = "error" | "timeout" | "breaker-open";

/** Something the decorator did that an operator may want to see (pass `onEvent` to `withDax`). */
export type DaxEvent =
  | { type: "fallback"; operation: DaxOperation; reason: FallbackReason; error?: unknown }
  /** A write sent to DAX got no answer (error or timeout after sending): the caller got UNAVAILABLE. */
  | {
      type: "write-outcome-unknown";
      operation: DaxWriteOperation;
      reason: Exclude<FallbackReason, "breaker-open">;
      error: unknown;
    }
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
  /** Writes DAX answered (applied, or refused by DynamoDB, e.g. a failed condition). */
  daxWrites: number;
  /** Writes sent to DAX that got no answer: the caller got UNAVAILABLE (applied at most once, maybe not). */
  writeOutcomesUnknown: number;
  /** DAX attempts that failed (error or timeout), reads and writes. */
  daxFailures: number;
  /** Of those, the ones that hit `timeoutMs`. */
  daxTimeouts: number;
  /** Reads, and writes that never reached DAX, sent to DynamoDB because DAX failed, timed out or the breaker was open. */
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
    daxWrites: 0,
    writeOutcomesUnknown: 0,
    daxFailures: 0,
    daxTimeouts: 0,
    fallbacks: 0,
    ownWriteBypasses: 0,
  };
}
