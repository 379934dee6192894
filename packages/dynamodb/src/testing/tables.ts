import { randomBytes } from "node:crypto";
import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { distinctTables, type TableNames } from "../schema.js";

/**
 * Table names no other test uses: `<prefix>-<random>-sessions` and so on; with `records: true` also a records
 * table of its own (else records share the sessions table).
 */
export function uniqueTableNames(prefix = "t", options: { records?: boolean } = {}): TableNames {
  const tag = `${prefix}-${randomBytes(5).toString("hex")}`;
  const names: TableNames = {
    sessions: `${tag}-sessions`,
    toolCache: `${tag}-tool-cache`,
    preferences: `${tag}-preferences`,
  };
  if (options.records === true) names.records = `${tag}-records`;
  return names;
}

/** Deletes the tables (missing ones are ignored). */
export async function dropTables(client: Pick<DynamoDBClient, "send">, tables: TableNames): Promise<void> {
  await Promise.all(
    distinctTables(tables).map(async (TableName) => {
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
