import { join } from "node:path";
import { createTables, DEFAULT_TABLE_NAMES, DynamoStateStore, type TableNames } from "@agent-state/dynamodb";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { ServerConfig } from "../config.js";
import type { Logger } from "../logger.js";
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

async function ensureTables(clientConfig: DynamoDBClientConfig, tables: TableNames): Promise<void> {
  const control = new DynamoDBClient(clientConfig);
  try {
    await createTables(control, tables);
  } finally {
    control.destroy();
  }
}

/**
 * The embedded default: DynamoDB Local (Java) on disk under `<dataDir>/dynamodb`, started here and stopped by
 * `close()`, tables created on first start. Sessions survive restarts, and the production code path runs.
 */
export async function openEmbeddedStore(config: ServerConfig, logger: Logger): Promise<OpenedStore> {
  const dataDir = join(config.dataDir, "dynamodb");
  let local: Awaited<ReturnType<typeof startDynamoDbLocal>>;
  try {
    local = await startDynamoDbLocal({ dataDir });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the embedded store could not start DynamoDB Local: ${reason} ` +
        "Install Java 17 (e.g. `apt-get install openjdk-17-jre-headless`, or `brew install openjdk@17`), " +
        "or start with `--store memory` (nothing persists) or `--store dynamodb` / `--store redis`.",
      { cause: error },
    );
  }
  logger.info("started DynamoDB Local", { endpoint: local.endpoint, pid: local.pid, dataDir });
  // DynamoDB Local runs with -sharedDb, so any region and credentials see the same tables.
  const clientConfig: DynamoDBClientConfig = {
    endpoint: local.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const tables = prefixedTables(undefined);
  let store: DynamoStateStore;
  try {
    await ensureTables(clientConfig, tables);
    store = new DynamoStateStore({ clientConfig, tables });
  } catch (error) {
    await local.stop();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    store,
    kind: "embedded",
    description: `DynamoDB Local on disk at ${dataDir}`,
    close: () => {
      closing ??= (async () => {
        try {
          await store.close();
        } finally {
          await local.stop();
          logger.info("stopped DynamoDB Local", { pid: local.pid });
        }
      })();
      return closing;
    },
  };
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
