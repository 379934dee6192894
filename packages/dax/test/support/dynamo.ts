import { randomUUID } from "node:crypto";
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";

/**
 * A DAX timeout for tests that count what DAX (the double) answered: its misses read DynamoDB Local, which on
 * a busy machine can take longer than the production default, and a fallback would change the counts.
 */
export const NO_TIMEOUT_MS = 30_000;

/** A low-level client for DynamoDB Local (dummy credentials; DynamoDB Local runs with -sharedDb). */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** Counts every request a client sends to DynamoDB, by command name. */
export interface RequestCounter {
  total: number;
  byCommand: Record<string, number>;
  reset(): void;
}

/** Adds a counting middleware to `client` (every request passes the initialize step once). */
export function countRequests(client: DynamoDBClient): RequestCounter {
  const counter: RequestCounter = {
    total: 0,
    byCommand: {},
    reset() {
      counter.total = 0;
      counter.byCommand = {};
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.total++;
      const name = context.commandName ?? "unknown";
      counter.byCommand[name] = (counter.byCommand[name] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name: "agentStateRequestCounter" },
  );
  return counter;
}

/** A fresh table with a string `pk` and `sk`, for tests that model DAX on their own items. */
export async function createPkSkTable(document: DynamoDBDocument): Promise<string> {
  const tableName = `dax-double-${randomUUID()}`;
  await document.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    }),
  );
  return tableName;
}

export async function dropTable(document: DynamoDBDocument, tableName: string): Promise<void> {
  await document.send(new DeleteTableCommand({ TableName: tableName }));
}

export { DynamoDBDocument };

/**
 * The clients of a test file that counts requests: `setupClient` (tables, outsiders), `storeClient` (the
 * stores' own requests, counted in `storeRequests`) and `daxClient` (the DAX double's requests for them,
 * counted apart in `daxRequests`). `destroy()` closes all three.
 */
export function countedClients(endpoint: string) {
  const setupClient = localClient(endpoint);
  const storeClient = localClient(endpoint);
  const daxClient = localClient(endpoint);
  return {
    setupClient,
    storeClient,
    daxClient,
    storeRequests: countRequests(storeClient),
    daxRequests: countRequests(daxClient),
    destroy: () => {
      for (const client of [setupClient, storeClient, daxClient]) client.destroy();
    },
  };
}
