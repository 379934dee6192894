import { UnavailableError } from "@agent-state/core";
import type { CircuitBreaker } from "./breaker.js";
import type { DaxReadClient } from "./dax-client.js";
import type { DaxEvent, DaxOperation, FallbackReason, MutableDaxCounters } from "./events.js";
import { DaxTimeoutError, withTimeout } from "./with-timeout.js";

const DAX_UNAVAILABLE = Symbol("agent-state.dax-unavailable");

/**
 * DAX could not answer (error, timeout, or breaker open). The decorator catches it, wherever the wrapped
 * store rethrew it, and runs the read against DynamoDB instead; callers never see it.
 */
export class DaxUnavailableError extends UnavailableError {
  readonly [DAX_UNAVAILABLE] = true;
  constructor(
    readonly reason: FallbackReason,
    cause?: unknown,
  ) {
    super(`DAX unavailable (${reason})`, { cause });
  }
}

/** True when `error`, or an error in its `cause` chain, is a `DaxUnavailableError`. */
export function isDaxUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    if (typeof current === "object" && DAX_UNAVAILABLE in current) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface DaxRouterDeps {
  /** Resolves the DAX client, creating it on first use; a rejection counts as a DAX failure. */
  daxClient: () => Promise<DaxReadClient>;
  breaker: CircuitBreaker;
  timeoutMs: number;
  counters: MutableDaxCounters;
  emit: (event: DaxEvent) => void;
}

/**
 * The reader handed to the wrapped store's `withReader` view: every read goes to DAX, bounded by `timeoutMs`
 * and guarded by the circuit breaker; when DAX cannot answer it throws `DaxUnavailableError`, so that the
 * decorator sends the whole read to DynamoDB.
 */
export class DaxRouter implements DaxReadClient {
  constructor(private readonly deps: DaxRouterDeps) {}

  /** GetItem through DAX's item cache. */
  get(input: Parameters<DaxReadClient["get"]>[0]): ReturnType<DaxReadClient["get"]> {
    return this.route("get", (client) => client.get(input));
  }

  /** Query through DAX's query cache. */
  query(input: Parameters<DaxReadClient["query"]>[0]): ReturnType<DaxReadClient["query"]> {
    return this.route("query", (client) => client.query(input));
  }

  /** BatchGetItem through DAX's item cache. */
  batchGet(input: Parameters<DaxReadClient["batchGet"]>[0]): ReturnType<DaxReadClient["batchGet"]> {
    return this.route("batchGet", (client) => client.batchGet(input));
  }

  private async route<T>(operation: DaxOperation, viaDax: (client: DaxReadClient) => Promise<T>): Promise<T> {
    const { breaker, counters, emit } = this.deps;
    if (!breaker.tryAcquire()) {
      counters.fallbacks++;
      emit({ type: "fallback", operation, reason: "breaker-open" });
      throw new DaxUnavailableError("breaker-open");
    }
    let answer: T;
    try {
      answer = await withTimeout(
        this.deps.daxClient().then((client) => viaDax(client)),
        this.deps.timeoutMs,
      );
    } catch (error) {
      counters.daxFailures++;
      counters.fallbacks++;
      const reason: FallbackReason = error instanceof DaxTimeoutError ? "timeout" : "error";
      if (reason === "timeout") counters.daxTimeouts++;
      emit({ type: "fallback", operation, reason, error });
      breaker.recordFailure();
      throw new DaxUnavailableError(reason, error);
    }
    breaker.recordSuccess();
    counters.daxReads++;
    return answer;
  }
}
