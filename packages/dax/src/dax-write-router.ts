import { UnavailableError } from "@agent-state/core";
import type { DynamoWriter } from "@agent-state/dynamodb";
import { approximateBytes } from "./approximate-bytes.js";
import type { CircuitBreaker } from "./breaker.js";
import type { DaxClient } from "./dax-client.js";
import type { DaxEvent, DaxWriteOperation, MutableDaxCounters } from "./events.js";
import { DaxTimeoutError, withTimeout } from "./with-timeout.js";

export interface DaxWriteRouterDeps {
  /** Resolves the DAX client, creating it on first use; a rejection counts as a DAX failure. */
  daxClient: () => Promise<DaxClient>;
  breaker: CircuitBreaker;
  /** How long a write waits for the DAX client before going to DynamoDB (nothing has been sent yet). */
  clientTimeoutMs: number;
  /**
   * How long a write sent to DAX waits for its answer before the caller gets UNAVAILABLE, plus
   * `writeDeadlineMsFor(request)` for the bytes it carries.
   */
  writeTimeoutMs: number;
  counters: MutableDaxCounters;
  emit: (event: DaxEvent) => void;
}

/** DynamoDB exceptions: DAX passed the write to DynamoDB and this is DynamoDB's answer, not a DAX failure. */
const DYNAMODB_ANSWERS = new Set([
  "ConditionalCheckFailedException",
  "TransactionCanceledException",
  "TransactionConflictException",
  "TransactionInProgressException",
  "IdempotentParameterMismatchException",
  "ValidationException",
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "LimitExceededException",
  "ResourceNotFoundException",
  "ItemCollectionSizeLimitExceededException",
]);

/**
 * The time a write is allowed on top of `writeTimeoutMs` for what it carries: 1 s per MiB (a slow link), so
 * that a BatchWriteItem of large-value chunks (up to 16 MB) is not cut off while it is still being sent.
 */
export const WRITE_MS_PER_MIB = 1_000;

/** The largest request a write sends (BatchWriteItem's limit): the real client's request timeout covers it. */
export const MAX_WRITE_REQUEST_BYTES = 16 * 1024 * 1024;

/** Extra time for a write request of this size (see `WRITE_MS_PER_MIB`). */
export function writeAllowanceMs(bytes: number): number {
  return Math.ceil((bytes / (1024 * 1024)) * WRITE_MS_PER_MIB);
}

/** Socket errors raised before a connection exists: nothing was sent. */
const NOT_CONNECTED = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection timeout after/;

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
}

function exceptionName(error: unknown): string {
  const s = (typeof error === "object" && error !== null ? error : {}) as ErrorShape;
  if (typeof s.name === "string" && s.name !== "Error") return s.name;
  return typeof s.code === "string" ? s.code : "";
}

/** True when the DAX client failed before the request could leave this process (no node, or refused). */
function neverReachedDax(error: unknown): boolean {
  const name = exceptionName(error);
  if (name === "NoRouteException") return true;
  const s = (typeof error === "object" && error !== null ? error : {}) as ErrorShape;
  if (typeof s.code === "string" && NOT_CONNECTED.test(s.code)) return true;
  return name === "ConnectionException" && typeof s.message === "string" && NOT_CONNECTED.test(s.message);
}

/**
 * The writer handed to the wrapped store's `withClients` view: every write goes through DAX (so DAX's item
 * cache holds the new item), guarded by the circuit breaker. A write goes to DynamoDB directly (`direct`)
 * only when it certainly never reached DAX: breaker open, no client within `clientTimeoutMs`, no route, or
 * connection refused. A write DAX may have received but did not answer (timeout after sending, a connection
 * lost midway) is not repeated: the caller gets `UnavailableError` with the DAX error as `cause`, and the
 * write was applied at most once. DynamoDB's own answers through DAX (a failed condition, throttling…)
 * reach the store unchanged.
 */
export class DaxWriteRouter implements DynamoWriter {
  constructor(
    private readonly deps: DaxWriteRouterDeps,
    private readonly direct: DynamoWriter,
  ) {}

  /** PutItem through DAX (item cache refreshed), or DynamoDB when it cannot have reached DAX. */
  put(input: Parameters<DynamoWriter["put"]>[0]): ReturnType<DynamoWriter["put"]> {
    return this.route(
      "put",
      input,
      (client) => client.put(input),
      () => this.direct.put(input),
    );
  }

  /** UpdateItem through DAX (item cache refreshed), or DynamoDB when it cannot have reached DAX. */
  update(input: Parameters<DynamoWriter["update"]>[0]): ReturnType<DynamoWriter["update"]> {
    return this.route(
      "update",
      input,
      (client) => client.update(input),
      () => this.direct.update(input),
    );
  }

  /** DeleteItem through DAX (item dropped from its cache), or DynamoDB when it cannot have reached DAX. */
  delete(input: Parameters<DynamoWriter["delete"]>[0]): ReturnType<DynamoWriter["delete"]> {
    return this.route(
      "delete",
      input,
      (client) => client.delete(input),
      () => this.direct.delete(input),
    );
  }

  /** TransactWriteItems through DAX, or DynamoDB when it cannot have reached DAX. */
  transactWrite(
    input: Parameters<DynamoWriter["transactWrite"]>[0],
  ): ReturnType<DynamoWriter["transactWrite"]> {
    return this.route(
      "transactWrite",
      input,
      (client) => client.transactWrite(input),
      () => this.direct.transactWrite(input),
    );
  }

  /** BatchWriteItem through DAX, or DynamoDB when it cannot have reached DAX. */
  batchWrite(input: Parameters<DynamoWriter["batchWrite"]>[0]): ReturnType<DynamoWriter["batchWrite"]> {
    return this.route(
      "batchWrite",
      input,
      (client) => client.batchWrite(input),
      () => this.direct.batchWrite(input),
    );
  }

  private async route<T>(
    operation: DaxWriteOperation,
    request: unknown,
    viaDax: (client: DaxClient) => Promise<T>,
    direct: () => Promise<T>,
  ): Promise<T> {
    const { breaker, counters, emit } = this.deps;
    if (!breaker.tryAcquire()) {
      counters.fallbacks++;
      emit({ type: "fallback", operation, reason: "breaker-open" });
      return direct();
    }
    let client: DaxClient;
    try {
      // Waiting for the client sends nothing: if it is not there in time, the write goes to DynamoDB.
      client = await withTimeout(this.deps.daxClient(), this.deps.clientTimeoutMs);
    } catch (error) {
      this.recordFailure(error);
      return this.fallBack(operation, error, direct);
    }
    try {
      const deadlineMs = this.deps.writeTimeoutMs + writeAllowanceMs(approximateBytes(request));
      const answer = await withTimeout(viaDax(client), deadlineMs);
      this.recordAnswer();
      return answer;
    } catch (error) {
      if (DYNAMODB_ANSWERS.has(exceptionName(error))) {
        this.recordAnswer();
        throw error;
      }
      this.recordFailure(error);
      if (neverReachedDax(error)) return this.fallBack(operation, error, direct);
      counters.writeOutcomesUnknown++;
      const reason = error instanceof DaxTimeoutError ? "timeout" : "error";
      emit({ type: "write-outcome-unknown", operation, reason, error });
      throw new UnavailableError(
        `DAX ${operation}: no answer (${reason}); the write may have been applied, and was not repeated`,
        { cause: error },
      );
    }
  }

  private recordAnswer(): void {
    this.deps.breaker.recordSuccess();
    this.deps.counters.daxWrites++;
  }

  private recordFailure(error: unknown): void {
    const { counters, breaker } = this.deps;
    counters.daxFailures++;
    if (error instanceof DaxTimeoutError) counters.daxTimeouts++;
    breaker.recordFailure();
  }

  private fallBack<T>(operation: DaxWriteOperation, error: unknown, direct: () => Promise<T>): Promise<T> {
    this.deps.counters.fallbacks++;
    const reason = error instanceof DaxTimeoutError ? "timeout" : "error";
    this.deps.emit({ type: "fallback", operation, reason, error });
    return direct();
  }
}
