import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DeleteItemCommandOutput,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandInput,
  type PutItemCommandOutput,
  QueryCommand,
  type QueryCommandInput as QueryCommandInputLow,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandInput as ScanCommandInputLow,
  type ScanCommandOutput,
  type TransactGetItem,
  TransactGetItemsCommand,
  type TransactGetItemsCommandInput,
  type TransactGetItemsCommandOutput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from "@aws-sdk/client-dynamodb";
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  QueryCommandOutput as DocQueryOutput,
  ScanCommandOutput as DocScanOutput,
  DynamoDBDocumentClient,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  ScanCommandInput,
  TransactGetCommandInput,
  TransactGetCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { type AttributeMap, fromAttributeMap, type Item, toAttributeMap } from "./marshal.js";

/**
 * The reads a store can send to another client (for example a DAX client): method-style, the shape of
 * lib-dynamodb's `DynamoDBDocument` and of the DAX SDK v3 client.
 */
export interface DynamoReader {
  get(input: GetCommandInput): Promise<GetCommandOutput>;
  query(input: QueryCommandInput): Promise<DocQueryOutput>;
  batchGet(input: BatchGetCommandInput): Promise<BatchGetCommandOutput>;
}

/**
 * The writes a store can send to another client (for example a DAX client, so that its item cache stays
 * fresh): method-style, the shape of lib-dynamodb's `DynamoDBDocument` and of the DAX SDK v3 client. Errors
 * may come in the SDK's shape (`name`, `CancellationReasons`) or DAX's (`code`, `cancellationReasons`).
 */
export interface DynamoWriter {
  put(input: PutCommandInput): Promise<PutCommandOutput>;
  update(input: UpdateCommandInput): Promise<UpdateCommandOutput>;
  delete(input: DeleteCommandInput): Promise<DeleteCommandOutput>;
  batchWrite(input: BatchWriteCommandInput): Promise<BatchWriteCommandOutput>;
  transactWrite(input: TransactWriteCommandInput): Promise<TransactWriteCommandOutput>;
}

/** Every document-client call the store makes: a `DynamoDBDocument`, or any object with these methods. */
export interface DynamoDocumentMethods extends DynamoReader, DynamoWriter {
  scan(input: ScanCommandInput): Promise<DocScanOutput>;
  /**
   * Serializable reads of records written by atomic batches (so readers never see half a batch). Optional:
   * a client without it reads them with BatchGetItem and Query alone.
   */
  transactGet?(input: TransactGetCommandInput): Promise<TransactGetCommandOutput>;
}

/**
 * A client the store accepts: a `DynamoDBClient` or a `DynamoDBDocumentClient` (command style: the store sends
 * either low-level commands), or a method-style document client (a DAX client, for example).
 */
export type DynamoClientLike =
  | Pick<DynamoDBClient, "send">
  | Pick<DynamoDBDocumentClient, "send">
  | DynamoDocumentMethods;

/**
 * Turns either client style into the method style the store codes against. A command-style client is sent
 * the low-level commands, with the store's items converted by `marshal.ts` (lib-dynamodb's document commands
 * would convert them too, building a second command per request and converting in middleware: ≈20 µs more
 * client time per request, which every store call would pay).
 */
export function toDocumentMethods(client: DynamoClientLike): DynamoDocumentMethods {
  if (!("send" in client)) return client;
  const send = client.send.bind(client) as (command: unknown) => Promise<never>;
  return {
    get: async (input) => {
      const output: GetItemCommandOutput = await send(
        new GetItemCommand(withKey(input) as unknown as GetItemCommandInput),
      );
      return withItem(output) as unknown as GetCommandOutput;
    },
    query: async (input) => {
      const output: QueryCommandOutput = await send(
        new QueryCommand(withStartKey(withValues(input)) as unknown as QueryCommandInputLow),
      );
      return withItems(output) as unknown as DocQueryOutput;
    },
    batchGet: async (input) => {
      const output: BatchGetItemCommandOutput = await send(
        new BatchGetItemCommand({
          ...input,
          RequestItems: keyRequests(input.RequestItems, toAttributeMap),
        } as BatchGetItemCommandInput),
      );
      const Responses: Record<string, Item[]> = {};
      for (const [table, items] of Object.entries(output.Responses ?? {})) {
        Responses[table] = items.map((item) => fromAttributeMap(item));
      }
      return {
        ...output,
        Responses,
        UnprocessedKeys: keyRequests(output.UnprocessedKeys, fromAttributeMap),
      } as unknown as BatchGetCommandOutput;
    },
    put: async (input) => {
      const item = toAttributeMap(input.Item ?? {});
      const output: PutItemCommandOutput = await send(
        new PutItemCommand({ ...withValues(input), Item: item } as PutItemCommandInput),
      );
      return withAttributes(output) as unknown as PutCommandOutput;
    },
    update: async (input) => {
      const output: UpdateItemCommandOutput = await send(
        new UpdateItemCommand(withKey(withValues(input)) as unknown as UpdateItemCommandInput),
      );
      return withAttributes(output) as unknown as UpdateCommandOutput;
    },
    delete: async (input) => {
      const output: DeleteItemCommandOutput = await send(
        new DeleteItemCommand(withKey(withValues(input)) as unknown as DeleteItemCommandInput),
      );
      return withAttributes(output) as unknown as DeleteCommandOutput;
    },
    batchWrite: async (input) => {
      const output: BatchWriteItemCommandOutput = await send(
        new BatchWriteItemCommand({
          ...input,
          RequestItems: writeRequests(input.RequestItems, toAttributeMap),
        } as BatchWriteItemCommandInput),
      );
      return {
        ...output,
        UnprocessedItems: writeRequests(output.UnprocessedItems, fromAttributeMap),
      } as unknown as BatchWriteCommandOutput;
    },
    transactWrite: async (input) => {
      const TransactItems = (input.TransactItems ?? []).map((item) => {
        const out: Record<string, unknown> = {};
        if (item.Put) out.Put = { ...withValues(item.Put), Item: toAttributeMap(item.Put.Item ?? {}) };
        if (item.Update) out.Update = withKey(withValues(item.Update));
        if (item.Delete) out.Delete = withKey(withValues(item.Delete));
        if (item.ConditionCheck) out.ConditionCheck = withKey(withValues(item.ConditionCheck));
        return out as TransactWriteItem;
      });
      return (await send(
        new TransactWriteItemsCommand({ ...input, TransactItems } as TransactWriteItemsCommandInput),
      )) as TransactWriteCommandOutput;
    },
    scan: async (input) => {
      const output: ScanCommandOutput = await send(
        new ScanCommand(withStartKey(withValues(input)) as unknown as ScanCommandInputLow),
      );
      return withItems(output) as unknown as DocScanOutput;
    },
    transactGet: async (input) => {
      const TransactItems = (input.TransactItems ?? []).map((item) => ({
        ...item,
        ...(item.Get ? { Get: withKey(item.Get) } : {}),
      })) as TransactGetItem[];
      const output: TransactGetItemsCommandOutput = await send(
        new TransactGetItemsCommand({ ...input, TransactItems } as TransactGetItemsCommandInput),
      );
      return {
        ...output,
        ...(output.Responses
          ? {
              Responses: output.Responses.map((r) => (r.Item ? { ...r, Item: fromAttributeMap(r.Item) } : r)),
            }
          : {}),
      } as unknown as TransactGetCommandOutput;
    },
  };
}

// Each returns a copy of a document-style input or a low-level output with one field converted (an absent
// field stays absent).
type Fields = Record<string, unknown>;

function withKey(input: object): Fields {
  return { ...input, Key: toAttributeMap(((input as Fields).Key ?? {}) as Item) };
}

function withValues(input: object): Fields {
  const values = (input as Fields).ExpressionAttributeValues as Item | undefined;
  return values === undefined
    ? (input as Fields)
    : { ...input, ExpressionAttributeValues: toAttributeMap(values) };
}

function withStartKey(input: object): Fields {
  const key = (input as Fields).ExclusiveStartKey as Item | undefined;
  return key === undefined ? (input as Fields) : { ...input, ExclusiveStartKey: toAttributeMap(key) };
}

function withItem(output: { Item?: AttributeMap | undefined }): Fields {
  return output.Item === undefined ? output : { ...output, Item: fromAttributeMap(output.Item) };
}

function withAttributes(output: { Attributes?: AttributeMap | undefined }): Fields {
  return output.Attributes === undefined
    ? output
    : { ...output, Attributes: fromAttributeMap(output.Attributes) };
}

function withItems(output: {
  Items?: AttributeMap[] | undefined;
  LastEvaluatedKey?: AttributeMap | undefined;
}): Fields {
  const out: Fields = { ...output };
  if (output.Items) out.Items = output.Items.map(fromAttributeMap);
  if (output.LastEvaluatedKey) out.LastEvaluatedKey = fromAttributeMap(output.LastEvaluatedKey);
  return out;
}

type KeyRequests = Record<string, Fields & { Keys?: object[] }>;

function keyRequests(requests: object | undefined, convert: (map: never) => object): KeyRequests {
  const out: KeyRequests = {};
  for (const [table, request] of Object.entries((requests ?? {}) as KeyRequests)) {
    out[table] = { ...request, Keys: (request.Keys ?? []).map((key) => convert(key as never)) };
  }
  return out;
}

type WriteRequests = Record<
  string,
  Array<{ PutRequest?: { Item?: object }; DeleteRequest?: { Key?: object } }>
>;

function writeRequests(requests: object | undefined, convert: (map: never) => object): WriteRequests {
  const out: WriteRequests = {};
  for (const [table, list] of Object.entries((requests ?? {}) as WriteRequests)) {
    out[table] = list.map((request) => ({
      ...(request.PutRequest
        ? { PutRequest: { Item: convert((request.PutRequest.Item ?? {}) as never) } }
        : {}),
      ...(request.DeleteRequest
        ? { DeleteRequest: { Key: convert((request.DeleteRequest.Key ?? {}) as never) } }
        : {}),
    }));
  }
  return out;
}

/** Defaults for a client the store builds itself, so an outage fails within seconds instead of hanging. */
export const OWNED_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
} as const;

/**
 * The client a store builds from `clientConfig`: bounded attempts and timeouts, and the SDK's
 * `cacheMiddleware` (each command class's middleware stack resolved once instead of on every request), unless
 * the config sets them. The store sends it low-level commands only, which `cacheMiddleware` suits;
 * lib-dynamodb's document client refuses it, so build none over this client. Exported for callers that need the
 * client before handing it to a store as `client` (to add middleware: add it before the first request, after
 * which each command's handler is fixed); they own it and `destroy()` it when done. `throwOnRequestTimeout`
 * matters: without it the Node handler only logs a warning when `requestTimeout` passes and the call waits for
 * an endpoint that accepted the connection but never answers.
 */
export function createDynamoClient(config: DynamoDBClientConfig): DynamoDBClient {
  const defaults = {
    connectionTimeout: OWNED_CLIENT_DEFAULTS.connectionTimeoutMs,
    requestTimeout: OWNED_CLIENT_DEFAULTS.requestTimeoutMs,
    throwOnRequestTimeout: true,
  };
  const given = config.requestHandler;
  // A handler instance is used as given; plain handler options are completed with our defaults.
  const isOptions = given === undefined || (typeof given === "object" && !("handle" in given));
  return new DynamoDBClient({
    maxAttempts: OWNED_CLIENT_DEFAULTS.maxAttempts,
    cacheMiddleware: true,
    ...config,
    requestHandler: isOptions ? { ...defaults, ...(given as object | undefined) } : given,
  });
}
