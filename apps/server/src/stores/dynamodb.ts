import { createTables, DEFAULT_TABLE_NAMES, DynamoStateStore, type TableNames } from "@agent-state/dynamodb";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { ServerConfig } from "../config.js";
import type { OpenedStore } from "./open-store.js";

/** The three table names with `prefix` in front of each default name. */
export function prefixedTables(prefix: string | undefined): TableNames {
  const p = prefix ?? "";
  return {
    sessions: `${p}${DEFAULT_TABLE_NAMES.sessions}`,
    toolCache: `${p}${DEFAULT_TABLE_NAMES.toolCache}`,
    preferences: `${p}${DEFAULT_TABLE_NAMES.preferences}`,
  };
}

/** Creates the tables (and their TTL settings) when missing. */
export async function ensureTables(clientConfig: DynamoDBClientConfig, tables: TableNames): Promise<void> {
  const control = new DynamoDBClient(clientConfig);
  try {
    await createTables(control, tables);
  } finally {
    control.destroy();
  }
}

/**
 * DynamoDB proper (or any endpoint): region and credentials from the AWS SDK's usual chain, endpoint and
 * table-name prefix from the environment; tables created only when AGENT_STATE_DYNAMODB_CREATE_TABLES is set.
 */
export async function openDynamoStore(config: ServerConfig): Promise<OpenedStore> {
  const { endpoint, region, tablePrefix, createTables: create } = config.dynamodb;
  const clientConfig: DynamoDBClientConfig = {
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
  };
  const tables = prefixedTables(tablePrefix);
  if (create) await ensureTables(clientConfig, tables);
  const store = new DynamoStateStore({ clientConfig, tables, ...(region === undefined ? {} : { region }) });
  return {
    store,
    kind: "dynamodb",
    description: `DynamoDB ${endpoint ?? `(${region ?? "default region"})`}, tables ${Object.values(tables).join(", ")}`,
    close: () => store.close(),
  };
}
