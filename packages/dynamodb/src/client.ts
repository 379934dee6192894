import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DeleteCommandInput,
  type DeleteCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  type GetCommandOutput,
  PutCommand,
  type PutCommandInput,
  type PutCommandOutput,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
  TransactGetCommand,
  type TransactGetCommandInput,
  type TransactGetCommandOutput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  type TransactWriteCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from "@aws-sdk/lib-dynamodb";

/**
 * The reads a store can send to another client (for example a DAX client): method-style, the shape of
 * lib-dynamodb's `DynamoDBDocument` and of the DAX SDK v3 client.
 */
export interface DynamoReader {
  get(input: GetCommandInput): Promise<GetCommandOutput>;
  query(input: QueryCommandInput): Promise<QueryCommandOutput>;
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
  scan(input: ScanCommandInput): Promise<ScanCommandOutput>;
  /**
   * Serializable reads of records written by atomic batches (so readers never see half a batch). Optional:
   * a client without it reads them with BatchGetItem and Query alone.
   */
  transactGet?(input: TransactGetCommandInput): Promise<TransactGetCommandOutput>;
}

/** A client the store accepts: a `DynamoDBDocumentClient` (command style) or a method-style document client. */
export type DynamoClientLike = Pick<DynamoDBDocumentClient, "send"> | DynamoDocumentMethods;

/** Turns either client style into the method style the store codes against. */
export function toDocumentMethods(client: DynamoClientLike): DynamoDocumentMethods {
  if (!("send" in client)) return client;
  const send = client.send.bind(client) as (command: unknown) => Promise<never>;
  return {
    get: (input) => send(new GetCommand(input)),
    query: (input) => send(new QueryCommand(input)),
    batchGet: (input) => send(new BatchGetCommand(input)),
    put: (input) => send(new PutCommand(input)),
    update: (input) => send(new UpdateCommand(input)),
    delete: (input) => send(new DeleteCommand(input)),
    batchWrite: (input) => send(new BatchWriteCommand(input)),
    transactWrite: (input) => send(new TransactWriteCommand(input)),
    scan: (input) => send(new ScanCommand(input)),
    transactGet: (input) => send(new TransactGetCommand(input)),
  };
}

/** Defaults for a client the store builds itself, so an outage fails within seconds instead of hanging. */
export const OWNED_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
} as const;

/**
 * The clients a store builds from `clientConfig` (the low-level client and a document client over it), with
 * bounded attempts and timeouts unless the config sets them. Exported for callers that need the low-level client
 * before handing `doc` to a store as `client` (to add middleware); they own both and `destroy()` `low` when done. `throwOnRequestTimeout` matters: without it the Node handler only logs a warning when
 * `requestTimeout` passes and the call waits for an endpoint that accepted the connection but never answers.
 */
export function createDynamoClient(config: DynamoDBClientConfig): {
  low: DynamoDBClient;
  doc: DynamoDBDocumentClient;
} {
  const defaults = {
    connectionTimeout: OWNED_CLIENT_DEFAULTS.connectionTimeoutMs,
    requestTimeout: OWNED_CLIENT_DEFAULTS.requestTimeoutMs,
    throwOnRequestTimeout: true,
  };
  const given = config.requestHandler;
  // A handler instance is used as given; plain handler options are completed with our defaults.
  const isOptions = given === undefined || (typeof given === "object" && !("handle" in given));
  const low = new DynamoDBClient({
    maxAttempts: OWNED_CLIENT_DEFAULTS.maxAttempts,
    ...config,
    requestHandler: isOptions ? { ...defaults, ...(given as object | undefined) } : given,
  });
  const doc = DynamoDBDocumentClient.from(low, { marshallOptions: { removeUndefinedValues: true } });
  return { low, doc };
}
