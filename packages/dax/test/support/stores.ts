import type { Clock } from "@agent-state/core";
import { createTables, DynamoStateStore, type TableNames } from "@agent-state/dynamodb";
import { dropTables, uniqueTableNames } from "@agent-state/dynamodb/testing";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";

/** A DynamoStateStore on its own fresh tables in DynamoDB Local, sharing `client` (which it does not close). */
export async function freshDynamoStore(
  client: DynamoDBClient,
  clock: Clock,
): Promise<{ store: DynamoStateStore; tables: TableNames; drop: () => Promise<void> }> {
  const tables = await createTables(client, uniqueTableNames("dax"));
  const store = new DynamoStateStore({ client: DynamoDBDocument.from(client), tables, clock });
  return { store, tables, drop: () => dropTables(client, tables) };
}

/** Another store on the same tables: what a second process sees. */
export function sameTablesStore(client: DynamoDBClient, tables: TableNames, clock: Clock): DynamoStateStore {
  return new DynamoStateStore({ client: DynamoDBDocument.from(client), tables, clock });
}
