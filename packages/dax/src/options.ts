import { type Clock, ValidationError } from "@agent-state/core";
import type { BreakerOptions } from "./breaker.js";
import type { DaxClient, DaxReadClient } from "./dax-client.js";
import type { DaxEvent } from "./events.js";
import type { L1Options } from "./l1-cache.js";
import { nonNegative, positiveInteger } from "./option-checks.js";

interface CommonDaxOptions {
  /** The AWS region of the DAX cluster (for `endpoints`). */
  region?: string;
  /**
   * The longest a read waits on DAX (client creation included) before going to DynamoDB, and the longest a
   * write waits for the DAX client before going to DynamoDB (nothing sent yet). Default 500 ms.
   */
  timeoutMs?: number;
  /**
   * The longest a write sent through DAX waits for its answer, plus 1 s per MiB it carries (a BatchWriteItem
   * of large-value chunks); past it the caller gets UNAVAILABLE (the write may have been applied, so it is
   * never repeated on DynamoDB). Default 5,000 ms.
   */
  writeTimeoutMs?: number;
  /** The in-process cache in front of DAX; `false` turns it off. */
  l1?: L1Options | false;
  /** When to stop trying DAX after failures, and when to probe it again. */
  breaker?: BreakerOptions;
  /**
   * The cluster's longer of its item-cache and query-cache TTLs (DAX default: 5 minutes). For this long
   * after one of its own writes, this process reads that record from DynamoDB directly, never from DAX.
   */
  daxTtlMs?: number;
  /**
   * Time source for the L1 TTL, the own-write window and the breaker cool-down (not for record expiry,
   * which is judged by the wrapped store's clock). Default `Date.now`.
   */
  cacheClock?: () => number;
  /** Fallbacks, breaker transitions and client creation, as they happen. Must not throw. */
  onEvent?: (event: DaxEvent) => void;
}

/**
 * Options of `withDax`: the cluster `endpoints` (the decorator builds the DAX client), or a `client`, or
 * neither (L1 only: reads go L1 → DynamoDB).
 */
export type DaxOptions = CommonDaxOptions &
  (
    | { endpoints?: never; client?: never }
    | {
        /** Cluster discovery endpoints, e.g. `["daxs://my-cluster.abc123.dax-clusters.us-east-1.amazonaws.com"]`. */
        endpoints: string[];
        client?: never;
      }
    | {
        /**
         * Any client with the method-style read shape; with the write methods too (`DaxDocument` has them),
         * writes go through it. The caller keeps ownership (close() leaves it alone).
         */
        client: DaxReadClient | DaxClient;
        endpoints?: never;
      }
  );

export interface ResolvedDaxOptions {
  source:
    | { kind: "endpoints"; endpoints: string[]; region?: string }
    | { kind: "client"; client: DaxReadClient | DaxClient }
    | { kind: "none" };
  timeoutMs: number;
  writeTimeoutMs: number;
  l1: L1Options | false;
  breaker: BreakerOptions;
  bypassWindowMs: number;
  cacheClock: () => number;
  clock: Clock;
  onEvent: (event: DaxEvent) => void;
}

/** Margin past the DAX TTL for a fill that started just before our write and for replication lag. */
const BYPASS_MARGIN_MS = 5_000;

/** `storeClock` is the wrapped store's clock: cached records are judged expired by it, as the store judges them. */
export function resolveDaxOptions(options: DaxOptions, storeClock: Clock): ResolvedDaxOptions {
  if (typeof options !== "object" || options === null)
    throw new ValidationError("options", "must be an object");
  const { endpoints, client } = options as { endpoints?: unknown; client?: unknown };
  if (endpoints !== undefined && client !== undefined) {
    throw new ValidationError("options", "pass `endpoints` or `client`, not both");
  }
  let source: ResolvedDaxOptions["source"];
  if (endpoints === undefined && client === undefined) {
    source = { kind: "none" };
  } else if (client !== undefined) {
    if (!isReadClient(client))
      throw new ValidationError("client", "must have get, query and batchGet methods");
    source = { kind: "client", client };
  } else {
    if (
      !Array.isArray(endpoints) ||
      endpoints.length === 0 ||
      !endpoints.every((e) => typeof e === "string" && e)
    ) {
      throw new ValidationError("endpoints", "must be a non-empty list of DAX endpoint URLs");
    }
    source = {
      kind: "endpoints",
      endpoints,
      ...(options.region !== undefined ? { region: options.region } : {}),
    };
  }
  const timeoutMs = positiveInteger("timeoutMs", options.timeoutMs ?? 500);
  const writeTimeoutMs = positiveInteger("writeTimeoutMs", options.writeTimeoutMs ?? 5_000);
  const daxTtlMs = nonNegative("daxTtlMs", options.daxTtlMs ?? 300_000);
  return {
    source,
    timeoutMs,
    writeTimeoutMs,
    l1: options.l1 ?? {},
    breaker: options.breaker ?? {},
    bypassWindowMs: daxTtlMs + BYPASS_MARGIN_MS,
    cacheClock: options.cacheClock ?? Date.now,
    clock: storeClock,
    onEvent: options.onEvent ?? (() => {}),
  };
}

function isReadClient(value: unknown): value is DaxReadClient {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ["get", "query", "batchGet"].every((method) => typeof candidate[method] === "function");
}
