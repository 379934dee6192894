import { randomBytes } from "node:crypto";
import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { TableNames } from "../schema.js";

/** Table names no other test uses: `<prefix>-<random>-sessions` and so on. */
export function uniqueTableNames(prefix = "t"): TableNames {
  const tag = `${prefix}-${randomBytes(5).toString("hex")}`;
  return { sessions: `${tag}-sessions`, toolCache: `${tag}-tool-cache`, preferences: `${tag}-preferences` };
}

/** Deletes the tables (missing ones are ignored). */
export async function dropTables(client: Pick<DynamoDBClient, "send">, tables: TableNames): Promise<void> {
  await Promise.all(
    [tables.sessions, tables.toolCache, tables.preferences].map(async (TableName) => {
      try {
        await client.send(new DeleteTableCommand({ TableName }));
      } catch (error) {
        if ((error as { name?: string }).name !== "ResourceNotFoundException") throw error;
      }
    }),
  );
}

/** Credentials and region for DynamoDB Local (it accepts any). */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}
