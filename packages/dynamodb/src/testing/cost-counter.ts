import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/** Requests and capacity as DynamoDB bills them, counted on a low-level client. */
export interface CostSnapshot {
  requests: number;
  /** Requests per DynamoDB operation, e.g. `{ GetItem: 1, TransactWriteItems: 1 }`. */
  byOperation: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

export interface CostCounter {
  /** Totals since the last reset. */
  snapshot(): CostSnapshot;
  /** Counts from zero again. */
  reset(): void;
  /** Totals of what `action` sent (the counter is reset before it runs). */
  measure(action: () => Promise<unknown>): Promise<CostSnapshot>;
}

const WRITE_OPERATIONS = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);
const DATA_OPERATIONS = new Set([
  ...WRITE_OPERATIONS,
  "GetItem",
  "Query",
  "Scan",
  "BatchGetItem",
  "TransactGetItems",
]);

/**
 * Adds a middleware to `client` (and so to document clients built from it) that asks for
 * `ReturnConsumedCapacity: TOTAL` on every data request and adds up requests and capacity units, correcting
 * DynamoDB Local's two gaps: TransactWriteItems is reported at 1× (DynamoDB bills 2×), and a failed
 * conditional write reports nothing (DynamoDB bills 1 WCU; counted per failed condition in a transaction).
 */
export function attachCostCounter(client: Pick<DynamoDBClient, "middlewareStack">): CostCounter {
  let totals = empty();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String((context as { commandName?: string }).commandName ?? "").replace(
        /Command$/,
        "",
      );
      const counted = DATA_OPERATIONS.has(operation);
      if (counted) {
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = "TOTAL";
        totals.requests++;
        totals.byOperation[operation] = (totals.byOperation[operation] ?? 0) + 1;
      }
      try {
        const result = await next(args);
        if (counted)
          addCapacity(operation, (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
        return result;
      } catch (error) {
        if (counted) addFailedConditions(error);
        throw error;
      }
    },
    { step: "initialize", name: "agentStateCostCounter", override: true },
  );

  function addCapacity(operation: string, consumed: unknown): void {
    const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
    let units = 0;
    for (const entry of list) units += Number((entry as { CapacityUnits?: number }).CapacityUnits ?? 0);
    if (operation === "TransactWriteItems") units *= 2;
    if (WRITE_OPERATIONS.has(operation)) totals.writeUnits += units;
    else totals.readUnits += units;
  }

  function addFailedConditions(error: unknown): void {
    const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
    if (e.name === "ConditionalCheckFailedException") totals.writeUnits += 1;
    if (e.name === "TransactionCanceledException") {
      totals.writeUnits += (e.CancellationReasons ?? []).filter(
        (r) => r.Code === "ConditionalCheckFailed",
      ).length;
    }
  }

  return {
    snapshot: () => ({ ...totals, byOperation: { ...totals.byOperation } }),
    reset: () => {
      totals = empty();
    },
    async measure(action) {
      totals = empty();
      await action();
      return { ...totals, byOperation: { ...totals.byOperation } };
    },
  };
}

function empty(): CostSnapshot {
  return { requests: 0, byOperation: {}, readUnits: 0, writeUnits: 0 };
}
