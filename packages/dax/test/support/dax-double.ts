import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  DynamoDBDocument,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  TransactGetCommandInput,
  TransactGetCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import type { DaxClient } from "../../src/index.js";

type Item = Record<string, unknown>;

export interface DaxDoubleOptions {
  /** Item cache TTL (DAX default: 5 minutes). */
  itemTtlMs?: number;
  /** Query cache TTL (DAX default: 5 minutes). */
  queryTtlMs?: number;
  /** The double's clock for its TTLs (default Date.now). */
  now?: () => number;
}

export interface DaxDoubleStats {
  itemHits: number;
  itemMisses: number;
  queryHits: number;
  queryMisses: number;
  /** Strongly consistent reads passed straight to DynamoDB. */
  passThroughs: number;
  /** Every request the double sent to DynamoDB. */
  dynamoRequests: number;
}

interface Cached<T> {
  value: T;
  storedAtMs: number;
}

/**
 * A test double of a DAX cluster in front of DynamoDB (Local), modelling DAX's documented semantics:
 * - item cache (GetItem / BatchGetItem) and query cache (Query) are separate, each with its own TTL;
 * - a miss reads DynamoDB eventually consistently and caches the answer, an absent item or an empty page too
 *   (negative caching);
 * - `ConsistentRead: true` and TransactGetItems pass straight to DynamoDB and neither read nor fill a cache;
 * - writes sent THROUGH the double update its item cache but never its query cache: `put` and `update`
 *   (ALL_NEW) store the new item, `delete`, `transactWrite`, `batchWrite` and other updates drop the written
 *   keys (the next read fills them from DynamoDB); writes that go to DynamoDB directly leave both caches
 *   stale until their TTL;
 * - like the DAX SDK, single-item writes do not pass `ReturnValuesOnConditionCheckFailure` on, and DynamoDB
 *   errors come back in DAX's shape (`name` "Error", the exception name in `code`, `cancellationReasons`);
 * - `down` makes every call fail like a cluster with no reachable node (`NoRouteException`), `refuse` like a
 *   node refusing the connection, `hang` makes calls never answer, `hangAfterWrite` applies each write in
 *   DynamoDB and then never answers (the reply lost on the way back), `hangAfterWriteOf` does that only for
 *   the operations it names.
 */
export class DaxDouble implements DaxClient {
  readonly stats: DaxDoubleStats = {
    itemHits: 0,
    itemMisses: 0,
    queryHits: 0,
    queryMisses: 0,
    passThroughs: 0,
    dynamoRequests: 0,
  };
  /** While true, every call rejects as DAX does when no node answers. */
  down = false;
  /** While true, every call rejects as the DAX client does when a node refuses the connection. */
  refuse = false;
  /** While true, every call stays pending until `shutdown()`. */
  hang = false;
  /** While true, every write is applied in DynamoDB (and the cache), then stays pending until `shutdown()`. */
  hangAfterWrite = false;
  /** Like `hangAfterWrite`, for these write operations only (e.g. `["put"]`: batch writes still answer). */
  hangAfterWriteOf: ReadonlySet<string> = new Set();
  /** Writes the double received (put, update, delete, transactWrite, batchWrite). */
  writes = 0;
  /** Writes applied in DynamoDB whose reply the double then kept (`hangAfterWrite`, `hangAfterWriteOf`). */
  repliesLost = 0;
  private readonly itemTtlMs: number;
  private readonly queryTtlMs: number;
  private readonly now: () => number;
  // table → item key (canonical) → projection → cached item (undefined = cached absence)
  private readonly items = new Map<string, Map<string, Map<string, Cached<Item | undefined>>>>();
  private readonly queries = new Map<string, Cached<QueryCommandOutput>>();
  private readonly keyNames = new Map<string, Promise<string[]>>();
  private readonly hanging = new Set<(error: Error) => void>();

  constructor(
    private readonly dynamo: DynamoDBDocument,
    options: DaxDoubleOptions = {},
  ) {
    this.itemTtlMs = options.itemTtlMs ?? 300_000;
    this.queryTtlMs = options.queryTtlMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  async get(input: GetCommandInput): Promise<GetCommandOutput> {
    await this.gate();
    if (input.ConsistentRead) return this.passThrough(() => this.dynamo.get(input));
    const projection = projectionOf(input);
    const cached = this.cachedItem(input.TableName!, input.Key!, projection);
    if (cached) {
      this.stats.itemHits++;
      return output(cached.value === undefined ? {} : { Item: structuredClone(cached.value) });
    }
    this.stats.itemMisses++;
    this.stats.dynamoRequests++;
    const { Item } = await this.dynamo.get({ ...input, ConsistentRead: false });
    this.storeItem(input.TableName!, input.Key!, projection, Item);
    return output(Item === undefined ? {} : { Item: structuredClone(Item) });
  }

  async query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    await this.gate();
    if (input.ConsistentRead) return this.passThrough(() => this.dynamo.query(input));
    const key = canonical({ ...input, ConsistentRead: undefined, ReturnConsumedCapacity: undefined });
    const cached = this.queries.get(key);
    if (cached && this.now() - cached.storedAtMs < this.queryTtlMs) {
      this.stats.queryHits++;
      return structuredClone(cached.value);
    }
    this.stats.queryMisses++;
    this.stats.dynamoRequests++;
    const answer = await this.dynamo.query({ ...input, ConsistentRead: false });
    const page = output({
      Items: answer.Items ?? [],
      Count: answer.Count ?? 0,
      ScannedCount: answer.ScannedCount ?? 0,
      ...(answer.LastEvaluatedKey ? { LastEvaluatedKey: answer.LastEvaluatedKey } : {}),
    });
    this.queries.set(key, { value: structuredClone(page), storedAtMs: this.now() });
    return page;
  }

  async batchGet(input: BatchGetCommandInput): Promise<BatchGetCommandOutput> {
    await this.gate();
    const requests = input.RequestItems ?? {};
    if (Object.values(requests).some((request) => request?.ConsistentRead)) {
      return this.passThrough(() => this.dynamo.batchGet(input));
    }
    const responses: Record<string, Item[]> = {};
    const missing: NonNullable<BatchGetCommandInput["RequestItems"]> = {};
    for (const [table, request] of Object.entries(requests)) {
      if (!request) continue;
      const projection = projectionOf(request);
      responses[table] = [];
      for (const key of request.Keys ?? []) {
        const cached = this.cachedItem(table, key, projection);
        if (cached) {
          this.stats.itemHits++;
          if (cached.value !== undefined) responses[table].push(structuredClone(cached.value));
          continue;
        }
        this.stats.itemMisses++;
        const pending = missing[table] ?? { ...request, Keys: [] };
        pending.Keys!.push(key);
        missing[table] = pending;
      }
    }
    let unprocessed = missing;
    while (Object.keys(unprocessed).length > 0) {
      this.stats.dynamoRequests++;
      const answer = await this.dynamo.batchGet({ RequestItems: unprocessed });
      for (const [table, items] of Object.entries(answer.Responses ?? {})) {
        const keyNames = await this.keyNamesOf(table);
        const projection = projectionOf(unprocessed[table] ?? {});
        for (const item of items) {
          this.storeItem(table, pick(item, keyNames), projection, item);
          responses[table]?.push(structuredClone(item));
        }
      }
      // Keys DynamoDB answered without an item are cached as absent, as DAX does.
      for (const [table, request] of Object.entries(unprocessed)) {
        const keyNames = await this.keyNamesOf(table);
        const found = new Set(
          (answer.Responses?.[table] ?? []).map((item) => canonical(pick(item, keyNames))),
        );
        const retry = new Set((answer.UnprocessedKeys?.[table]?.Keys ?? []).map((key) => canonical(key)));
        for (const key of request?.Keys ?? []) {
          const id = canonical(key);
          if (!found.has(id) && !retry.has(id))
            this.storeItem(table, key, projectionOf(request ?? {}), undefined);
        }
      }
      unprocessed = (answer.UnprocessedKeys ?? {}) as typeof unprocessed;
    }
    return output({ Responses: responses });
  }

  /** TransactGetItems through DAX: passed straight to DynamoDB, read from no cache and cached nowhere. */
  async transactGet(input: TransactGetCommandInput): Promise<TransactGetCommandOutput> {
    await this.gate();
    return this.passThrough(() => this.dynamo.transactGet(input));
  }

  /** PutItem through DAX: written to DynamoDB, then the item cache holds the new item. */
  async put(input: PutCommandInput): Promise<PutCommandOutput> {
    await this.gateWrite();
    const answer = await this.written(this.dynamo.put(withoutFailureItem(input)));
    const keyNames = await this.keyNamesOf(input.TableName!);
    this.replaceItem(input.TableName!, pick(input.Item!, keyNames), input.Item);
    return this.answerWrite("put", answer);
  }

  /** UpdateItem through DAX: written to DynamoDB, then the item cache holds the updated item. */
  async update(input: UpdateCommandInput): Promise<UpdateCommandOutput> {
    await this.gateWrite();
    const wanted = input.ReturnValues ?? "NONE";
    if (wanted !== "NONE" && wanted !== "ALL_NEW") {
      const answer = await this.written(this.dynamo.update(withoutFailureItem(input)));
      this.dropItem(input.TableName!, input.Key!);
      return this.answerWrite("update", answer);
    }
    const answer = await this.written(
      this.dynamo.update({ ...withoutFailureItem(input), ReturnValues: "ALL_NEW" }),
    );
    this.replaceItem(input.TableName!, input.Key!, answer.Attributes);
    if (wanted === "NONE") delete answer.Attributes;
    return this.answerWrite("update", answer);
  }

  /** DeleteItem through DAX: deleted in DynamoDB and dropped from the item cache. */
  async delete(input: DeleteCommandInput): Promise<DeleteCommandOutput> {
    await this.gateWrite();
    const answer = await this.written(this.dynamo.delete(withoutFailureItem(input)));
    this.dropItem(input.TableName!, input.Key!);
    return this.answerWrite("delete", answer);
  }

  /** TransactWriteItems through DAX: written to DynamoDB, then every written key dropped from the item cache. */
  async transactWrite(input: TransactWriteCommandInput): Promise<TransactWriteCommandOutput> {
    await this.gateWrite();
    const answer = await this.written(this.dynamo.transactWrite(input));
    for (const action of input.TransactItems ?? []) {
      if (action.Put) {
        const keyNames = await this.keyNamesOf(action.Put.TableName!);
        this.dropItem(action.Put.TableName!, pick(action.Put.Item!, keyNames));
      }
      if (action.Update) this.dropItem(action.Update.TableName!, action.Update.Key!);
      if (action.Delete) this.dropItem(action.Delete.TableName!, action.Delete.Key!);
    }
    return this.answerWrite("transactWrite", answer);
  }

  /** BatchWriteItem through DAX: written to DynamoDB, then every key of the batch dropped from the item cache. */
  async batchWrite(input: BatchWriteCommandInput): Promise<BatchWriteCommandOutput> {
    await this.gateWrite();
    const answer = await this.written(this.dynamo.batchWrite(input));
    for (const [table, requests] of Object.entries(input.RequestItems ?? {})) {
      const keyNames = await this.keyNamesOf(table);
      for (const request of requests) {
        if (request.PutRequest) this.dropItem(table, pick(request.PutRequest.Item!, keyNames));
        if (request.DeleteRequest) this.dropItem(table, request.DeleteRequest.Key!);
      }
    }
    return this.answerWrite("batchWrite", answer);
  }

  /** Releases calls left hanging (they reject). */
  shutdown(): void {
    for (const reject of this.hanging) reject(new Error("DaxDouble shut down"));
    this.hanging.clear();
  }

  private async gate(): Promise<void> {
    if (this.hang) {
      await new Promise<never>((_, reject) => this.hanging.add(reject));
    }
    if (this.down) {
      throw Object.assign(new Error("NoRouteException: No endpoints available"), {
        code: "NoRouteException",
        retryable: true,
      });
    }
    if (this.refuse) {
      throw Object.assign(new Error("ConnectionException: connect ECONNREFUSED 127.0.0.1:8111"), {
        code: "ConnectionException",
        retryable: true,
      });
    }
  }

  private async gateWrite(): Promise<void> {
    await this.gate();
    this.writes++;
    this.stats.dynamoRequests++;
  }

  /** DynamoDB's answer to a write, or its error in the shape the DAX client gives it. */
  private async written<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      throw daxShapedError(error);
    }
  }

  /** The answer, or (with `hangAfterWrite`) nothing ever: the write is applied, its reply lost. */
  private async answerWrite<T>(operation: string, answer: T): Promise<T> {
    if (this.hangAfterWrite || this.hangAfterWriteOf.has(operation)) {
      this.repliesLost++;
      await new Promise<never>((_, reject) => this.hanging.add(reject));
    }
    return answer;
  }

  private async passThrough<T>(read: () => Promise<T>): Promise<T> {
    this.stats.passThroughs++;
    this.stats.dynamoRequests++;
    return read();
  }

  private cachedItem(table: string, key: Item, projection: string): Cached<Item | undefined> | undefined {
    const cached = this.items.get(table)?.get(canonical(key))?.get(projection);
    if (!cached || this.now() - cached.storedAtMs >= this.itemTtlMs) return undefined;
    return cached;
  }

  private storeItem(table: string, key: Item, projection: string, item: Item | undefined): void {
    const byKey = this.items.get(table) ?? new Map<string, Map<string, Cached<Item | undefined>>>();
    this.items.set(table, byKey);
    const byProjection = byKey.get(canonical(key)) ?? new Map<string, Cached<Item | undefined>>();
    byKey.set(canonical(key), byProjection);
    byProjection.set(projection, {
      value: item === undefined ? undefined : structuredClone(item),
      storedAtMs: this.now(),
    });
  }

  private replaceItem(table: string, key: Item, item: Item | undefined): void {
    this.dropItem(table, key);
    if (item !== undefined) this.storeItem(table, key, "", item);
  }

  private dropItem(table: string, key: Item): void {
    this.items.get(table)?.delete(canonical(key));
  }

  private keyNamesOf(table: string): Promise<string[]> {
    let names = this.keyNames.get(table);
    if (!names) {
      this.stats.dynamoRequests++;
      names = this.dynamo
        .send(new DescribeTableCommand({ TableName: table }))
        .then((answer) => (answer.Table?.KeySchema ?? []).map((element) => element.AttributeName!));
      this.keyNames.set(table, names);
    }
    return names;
  }
}

function projectionOf(input: {
  ProjectionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
}) {
  if (!input.ProjectionExpression) return "";
  return canonical({ p: input.ProjectionExpression, n: input.ExpressionAttributeNames ?? {} });
}

function pick(item: Item, names: readonly string[]): Item {
  return Object.fromEntries(names.map((name) => [name, item[name]]));
}

/** JSON with sorted keys, so equal requests and keys map to one cache entry. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "undefined";
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString("base64")}`;
  if (value instanceof Set) return `s:${canonical([...value].sort())}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Item)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

/** The DAX SDK does not send `ReturnValuesOnConditionCheckFailure` for single-item writes. */
function withoutFailureItem<T extends { ReturnValuesOnConditionCheckFailure?: unknown }>(input: T): T {
  const { ReturnValuesOnConditionCheckFailure: _dropped, ...rest } = input;
  return rest as T;
}

/** A DynamoDB error as the DAX client raises it: an Error with the exception name in `code`. */
function daxShapedError(error: unknown): Error {
  const e = error as {
    name?: string;
    message?: string;
    CancellationReasons?: Array<{ Code?: string; Message?: string; Item?: Item }>;
  };
  const code = e.name ?? "UnknownError";
  return Object.assign(new Error(`${code}: ${e.message ?? ""}`), {
    code,
    retryable: false,
    statusCode: 400,
    ...(e.CancellationReasons
      ? {
          cancellationReasons: e.CancellationReasons.map((reason) => ({
            Code: reason.Code,
            Message: reason.Message,
            Item: reason.Item ?? null,
          })),
        }
      : {}),
  });
}

function output<T extends object>(body: T): T & { $metadata: Record<string, never> } {
  return { ...body, $metadata: {} };
}
