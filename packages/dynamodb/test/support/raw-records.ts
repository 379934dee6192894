import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { localClientConfig } from "../../src/testing/index.js";

/**
 * The raw baseline for the records bench: a plain pk + sk table read and written with the document client's
 * own commands, no validation, no expiry, no chunking: what a hand-written DynamoDB layer would send.
 */
export interface RawRecordsTable {
  put(scope: string, key: string, value: unknown): Promise<unknown>;
  get(scope: string, key: string): Promise<unknown>;
  rangeAfter(scope: string, after: string, limit: number): Promise<unknown>;
  drop(): Promise<void>;
}

export async function createRawRecordsTable(
  low: DynamoDBClient,
  tableName: string,
): Promise<RawRecordsTable> {
  await low.send(
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
  const doc = DynamoDBDocumentClient.from(low);
  return {
    put: (pk, sk, value) => doc.send(new PutCommand({ TableName: tableName, Item: { pk, sk, value } })),
    get: (pk, sk) => doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk } })),
    rangeAfter: (pk, after, limit) =>
      doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND sk > :after",
          ExpressionAttributeValues: { ":pk": pk, ":after": after },
          Limit: limit,
        }),
      ),
    drop: async () => {
      await low.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    },
  };
}

/** A low-level client for DynamoDB Local and a document client over it (for a store and a cost counter). */
export function localClients(endpoint: string): { low: DynamoDBClient; doc: DynamoDBDocumentClient } {
  const low = new DynamoDBClient(localClientConfig(endpoint));
  return { low, doc: DynamoDBDocumentClient.from(low) };
}
