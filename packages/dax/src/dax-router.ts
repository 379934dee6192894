import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import type { CircuitBreaker } from "./breaker.js";
import type { DaxReadClient } from "./dax-client.js";
import type { DaxEvent, DaxOperation, MutableDaxCounters } from "./events.js";
import { DaxTimeoutError, withTimeout } from "./with-timeout.js";

export interface DaxRouterDeps {
  /** Resolves the DAX client, creating it on first use; a rejection counts as a DAX failure. */
  daxClient: () => Promise<DaxReadClient>;
  /** Where reads go when DAX cannot answer: DynamoDB itself. */
  dynamo: DaxReadClient;
  breaker: CircuitBreaker;
  timeoutMs: number;
  counters: MutableDaxCounters;
  emit: (event: DaxEvent) => void;
}

/**
 * A reader that tries DAX first and falls back to DynamoDB: on any DAX error, after `timeoutMs`, or while the
 * circuit breaker is open. Strongly consistent reads go straight to DynamoDB (DAX would only pass them through).
 */
export class DaxRouter implements DaxReadClient {
  constructor(private readonly deps: DaxRouterDeps) {}

  /** GetItem through DAX's item cache, falling back to DynamoDB. */
  get(input: GetCommandInput): Promise<GetCommandOutput> {
    if (input.ConsistentRead) return this.deps.dynamo.get(input);
    return this.route(
      "get",
      (client) => client.get(input),
      () => this.deps.dynamo.get(input),
    );
  }

  /** Query through DAX's query cache, falling back to DynamoDB. */
  query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    if (input.ConsistentRead) return this.deps.dynamo.query(input);
    return this.route(
      "query",
      (client) => client.query(input),
      () => this.deps.dynamo.query(input),
    );
  }

  /** BatchGetItem through DAX's item cache, falling back to DynamoDB. */
  batchGet(input: BatchGetCommandInput): Promise<BatchGetCommandOutput> {
    const anyConsistent = Object.values(input.RequestItems ?? {}).some((request) => request?.ConsistentRead);
    if (anyConsistent) return this.deps.dynamo.batchGet(input);
    return this.route(
      "batchGet",
      (client) => client.batchGet(input),
      () => this.deps.dynamo.batchGet(input),
    );
  }

  private async route<T>(
    operation: DaxOperation,
    viaDax: (client: DaxReadClient) => Promise<T>,
    viaDynamo: () => Promise<T>,
  ): Promise<T> {
    const { breaker, counters, emit } = this.deps;
    if (!breaker.tryAcquire()) {
      counters.fallbacks++;
      emit({ type: "fallback", operation, reason: "breaker-open" });
      return viaDynamo();
    }
    let answer: T;
    try {
      answer = await withTimeout(
        this.deps.daxClient().then((client) => viaDax(client)),
        this.deps.timeoutMs,
      );
    } catch (error) {
      breaker.recordFailure();
      counters.daxFailures++;
      counters.fallbacks++;
      const timedOut = error instanceof DaxTimeoutError;
      if (timedOut) counters.daxTimeouts++;
      emit({ type: "fallback", operation, reason: timedOut ? "timeout" : "error", error });
      return viaDynamo();
    }
    breaker.recordSuccess();
    counters.daxReads++;
    return answer;
  }
}
