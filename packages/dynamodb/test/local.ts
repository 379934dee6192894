import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, inject } from "vitest";
import {
  createTables,
  DynamoStateStore,
  type DynamoStateStoreOptions,
  type TableNames,
} from "../src/index.js";
import {
  attachCostCounter,
  type CostCounter,
  dropTables,
  localClientConfig,
  uniqueTableNames,
} from "../src/testing/index.js";

/** A store on fresh tables of the project's DynamoDB Local, with a cost counter on its client. */
export interface LocalStore {
  store: DynamoStateStore;
  tables: TableNames;
  low: DynamoDBClient;
  counter: CostCounter;
  /** Drops the tables and destroys the client. */
  dispose(): Promise<void>;
}

export async function createLocalStore(
  options: Omit<DynamoStateStoreOptions, "client" | "clientConfig"> = {},
  /**
   * `recordsTable: true`: records in a table of their own (else in the sessions table). `cachedClient: true`:
   * the store gets a `DynamoDBClient` of its own with `cacheMiddleware` (as one it builds from `clientConfig`),
   * which `counter` counts; else a `DynamoDBDocumentClient` over `low`.
   */
  layout: { recordsTable?: boolean; cachedClient?: boolean } = {},
): Promise<LocalStore> {
  const config = localClientConfig(inject("dynamoEndpoint"));
  const low = new DynamoDBClient(config);
  const cached =
    layout.cachedClient === true ? new DynamoDBClient({ ...config, cacheMiddleware: true }) : null;
  const counter = attachCostCounter(cached ?? low);
  const tables = uniqueTableNames("dyn", { records: layout.recordsTable === true });
  await createTables(low, tables);
  const store = new DynamoStateStore({
    ...options,
    client: cached ?? DynamoDBDocumentClient.from(low),
    tables,
  });
  return {
    store,
    tables,
    low,
    counter,
    async dispose() {
      await store.close();
      await dropTables(low, tables);
      low.destroy();
      cached?.destroy();
    },
  };
}

/**
 * One store for the whole calling `describe` (tests that need large fixtures or are slow to set up): opened in a
 * `beforeAll` (roomy timeout: the first table creation on a loaded machine is slow), disposed in an `afterAll`.
 * Read its fields inside tests; they are filled in before the first one runs.
 */
export function sharedLocalStore(
  options: Omit<DynamoStateStoreOptions, "client" | "clientConfig"> = {},
): LocalStore {
  const local = {} as LocalStore;
  beforeAll(async () => {
    Object.assign(local, await createLocalStore(options));
  }, 120_000);
  afterAll(async () => {
    // Absent when the beforeAll failed: nothing to dispose.
    await local.dispose?.();
  });
  return local;
}

/** Every item of one partition (`pk`) of `table`, read consistently. */
export async function partitionItems(
  local: LocalStore,
  table: string,
  pk: string,
): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await DynamoDBDocument.from(local.low).query({
    TableName: table,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": pk },
    ConsistentRead: true,
  });
  return Items;
}
