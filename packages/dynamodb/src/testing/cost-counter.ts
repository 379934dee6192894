import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { attributeMapBytes, toAttributeMap, writeUnitsFor } from "./item-size.js";

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
/** Marks the counter's own look-ups so they are not counted. */
const UNCOUNTED = Symbol("uncounted");

type TransactItem = {
  Put?: { TableName?: string; Item?: Record<string, unknown> };
  Update?: { TableName?: string; Key?: Record<string, unknown> };
  Delete?: unknown;
  ConditionCheck?: unknown;
};

/**
 * Adds a middleware to `client` (and so to document clients built from it) that asks for
 * `ReturnConsumedCapacity: TOTAL` on every data request and adds up requests and capacity units as DynamoDB
 * bills them, correcting DynamoDB Local where it differs:
 * - TransactWriteItems: billed 2 × Σ per item ⌈size / 1 KB⌉. DynamoDB Local's figure is unusable (it is 2×,
 *   but items of equal unit counts are counted once), so the counter computes it: Put sizes from the request,
 *   Update sizes by an uncounted strongly consistent GetItem of the item afterwards.
 * - A failed conditional write: DynamoDB bills 1 WCU (per failed condition in a transaction); Local reports none.
 * On a client with `cacheMiddleware` (as `createDynamoClient` builds), attach it before the client's first
 * request: later middleware does not reach command classes already sent.
 */
export function attachCostCounter(
  client: Pick<DynamoDBClient, "middlewareStack" | "send">,
  options: {
    /**
     * Count only inside `measure` (and leave other requests as they are: no `ReturnConsumedCapacity`, no
     * lookup after a transaction), so that timing the same calls outside `measure` times them alone.
     */
    onlyWhileMeasuring?: boolean;
  } = {},
): CostCounter {
  let totals = empty();
  let measuring = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string | symbol, unknown>;
      const operation = String((context as { commandName?: string }).commandName ?? "").replace(
        /Command$/,
        "",
      );
      const counted =
        DATA_OPERATIONS.has(operation) &&
        input[UNCOUNTED] !== true &&
        (measuring || options.onlyWhileMeasuring !== true);
      if (!counted) return next(args);
      input.ReturnConsumedCapacity = "TOTAL";
      totals.requests++;
      totals.byOperation[operation] = (totals.byOperation[operation] ?? 0) + 1;
      try {
        const result = await next(args);
        if (operation === "TransactWriteItems") {
          totals.writeUnits += 2 * (await transactionUnits(input.TransactItems as TransactItem[]));
        } else {
          const units = capacityUnits((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          if (WRITE_OPERATIONS.has(operation)) totals.writeUnits += units;
          else totals.readUnits += units;
        }
        return result;
      } catch (error) {
        totals.writeUnits += failedConditions(error);
        throw error;
      }
    },
    { step: "initialize", name: "agentStateCostCounter", override: true },
  );

  async function transactionUnits(items: TransactItem[]): Promise<number> {
    let units = 0;
    for (const item of items) {
      if (item.Put?.Item !== undefined)
        units += writeUnitsFor(attributeMapBytes(toAttributeMap(item.Put.Item)));
      else if (item.Update?.Key !== undefined) {
        const lookup = {
          TableName: item.Update.TableName,
          Key: toAttributeMap(item.Update.Key),
          ConsistentRead: true,
        };
        Object.defineProperty(lookup, UNCOUNTED, { value: true });
        const stored = await client.send(new GetItemCommand(lookup));
        units += writeUnitsFor(stored.Item === undefined ? 0 : attributeMapBytes(stored.Item));
      } else units += 1;
    }
    return units;
  }

  return {
    snapshot: () => ({ ...totals, byOperation: { ...totals.byOperation } }),
    reset: () => {
      totals = empty();
    },
    async measure(action) {
      totals = empty();
      measuring = true;
      try {
        await action();
      } finally {
        measuring = false;
      }
      return { ...totals, byOperation: { ...totals.byOperation } };
    },
  };
}

function capacityUnits(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  return list.reduce(
    (sum: number, entry) => sum + Number((entry as { CapacityUnits?: number }).CapacityUnits ?? 0),
    0,
  );
}

function failedConditions(error: unknown): number {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e.name === "ConditionalCheckFailedException") return 1;
  if (e.name === "TransactionCanceledException") {
    return (e.CancellationReasons ?? []).filter((r) => r.Code === "ConditionalCheckFailed").length;
  }
  return 0;
}

function empty(): CostSnapshot {
  return { requests: 0, byOperation: {}, readUnits: 0, writeUnits: 0 };
}
