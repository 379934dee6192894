import type { StoreEventHub } from "@agent-state/core";
import type { DynamoDocumentMethods, DynamoWriter } from "./client.js";

/**
 * Capacity reporting at the request layer: while telemetry listens (`hub.active`), every request asks for
 * `ReturnConsumedCapacity: TOTAL` and each answer's `ConsumedCapacity` is reported per table as a `capacity`
 * event, in the async context of the store call that sent it. A failed condition is reported as the 1 WCU
 * DynamoDB bills for it (its error carries no ConsumedCapacity), throttling and the SDK's retries as their
 * own events. While nobody listens, requests go out exactly as the store built them.
 */

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);
const THROTTLES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

type Method = keyof DynamoDocumentMethods;
const REQUESTS: Record<Method, string> = {
  get: "GetItem",
  query: "Query",
  batchGet: "BatchGetItem",
  put: "PutItem",
  update: "UpdateItem",
  delete: "DeleteItem",
  batchWrite: "BatchWriteItem",
  transactWrite: "TransactWriteItems",
  scan: "Scan",
  transactGet: "TransactGetItems",
};

/** `client` with capacity reporting to `hub` on each of its methods. */
export function meteredClient(client: DynamoDocumentMethods, hub: StoreEventHub): DynamoDocumentMethods {
  return meteredMethods(client, hub, Object.keys(REQUESTS) as Method[]) as unknown as DynamoDocumentMethods;
}

/** `writer` with capacity reporting to `hub` (a view's writer, e.g. through DAX). */
export function meteredWriter(writer: DynamoWriter, hub: StoreEventHub): DynamoWriter {
  return meteredMethods(writer, hub, [
    "put",
    "update",
    "delete",
    "batchWrite",
    "transactWrite",
  ]) as unknown as DynamoWriter;
}

function meteredMethods(target: object, hub: StoreEventHub, methods: Method[]): Record<string, unknown> {
  const source = target as Record<string, ((input: object) => Promise<object>) | undefined>;
  const out: Record<string, unknown> = {};
  for (const method of methods) {
    const send = source[method];
    if (typeof send !== "function") continue;
    const request = REQUESTS[method];
    out[method] = (input: Record<string, unknown>) => {
      if (!hub.active) return send.call(target, input);
      const asked =
        input.ReturnConsumedCapacity === undefined ? { ...input, ReturnConsumedCapacity: "TOTAL" } : input;
      return send.call(target, asked).then(
        (output) => {
          report(hub, request, input, output);
          return output;
        },
        (error: unknown) => {
          reportFailure(hub, request, input, error);
          throw error;
        },
      );
    };
  }
  return out;
}

interface Consumed {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

function report(hub: StoreEventHub, request: string, input: Record<string, unknown>, output: object): void {
  const { ConsumedCapacity, $metadata } = output as {
    ConsumedCapacity?: Consumed | Consumed[];
    $metadata?: { attempts?: number };
  };
  const entries =
    ConsumedCapacity === undefined
      ? []
      : Array.isArray(ConsumedCapacity)
        ? ConsumedCapacity
        : [ConsumedCapacity];
  const write = WRITES.has(request);
  if (entries.length === 0) {
    // A client that reports nothing (e.g. DAX answering from its cache): the request still counts.
    hub.emit({ type: "capacity", table: tableOf(input), request, requests: 1, readUnits: 0, writeUnits: 0 });
  }
  entries.forEach((entry, index) => {
    const total = Number(entry.CapacityUnits ?? 0);
    hub.emit({
      type: "capacity",
      table: entry.TableName ?? tableOf(input),
      request,
      requests: index === 0 ? 1 : 0,
      readUnits: Number(entry.ReadCapacityUnits ?? (write ? 0 : total)),
      writeUnits: Number(entry.WriteCapacityUnits ?? (write ? total : 0)),
    });
  });
  reportRetries(hub, request, $metadata?.attempts);
}

function reportFailure(
  hub: StoreEventHub,
  request: string,
  input: Record<string, unknown>,
  error: unknown,
): void {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    CancellationReasons?: Array<Reason | null | undefined>;
    cancellationReasons?: Array<Reason | null | undefined>;
    $metadata?: { attempts?: number };
  };
  const name = e.name === "Error" && typeof e.code === "string" ? e.code : e.name;
  // DynamoDB bills 1 WCU per failed condition and reports none of it.
  const failed: string[] = [];
  if (name === "ConditionalCheckFailedException") failed.push(tableOf(input));
  else if (name === "TransactionCanceledException") {
    const items = (input.TransactItems ?? []) as Array<Record<string, { TableName?: string } | undefined>>;
    (e.CancellationReasons ?? e.cancellationReasons ?? []).forEach((reason, index) => {
      const code = reason?.Code ?? reason?.code;
      if (code === "ConditionalCheckFailed") {
        const item = items[index] ?? {};
        failed.push(Object.values(item)[0]?.TableName ?? "unknown");
      } else if (code === "ThrottlingError") hub.emit({ type: "throttle", request });
    });
  }
  if (failed.length === 0) failed.push("");
  failed.forEach((table, index) => {
    hub.emit({
      type: "capacity",
      table: table === "" ? tableOf(input) : table,
      request,
      requests: index === 0 ? 1 : 0,
      readUnits: 0,
      writeUnits: table === "" ? 0 : 1,
    });
  });
  if (name !== undefined && THROTTLES.has(name)) hub.emit({ type: "throttle", request });
  reportRetries(hub, request, e.$metadata?.attempts);
}

type Reason = { Code?: string; code?: string };

function reportRetries(hub: StoreEventHub, request: string, attempts: number | undefined): void {
  if (attempts !== undefined && attempts > 1) hub.emit({ type: "retry", request, count: attempts - 1 });
}

/** The table a request names: `TableName`, else the first of its batch or transaction items. */
function tableOf(input: Record<string, unknown>): string {
  if (typeof input.TableName === "string") return input.TableName;
  const batch = input.RequestItems as Record<string, unknown> | undefined;
  if (batch !== undefined) return Object.keys(batch)[0] ?? "unknown";
  const items = input.TransactItems as Array<Record<string, { TableName?: string } | undefined>> | undefined;
  const first = items?.[0];
  return (first === undefined ? undefined : Object.values(first)[0]?.TableName) ?? "unknown";
}
