import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
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
): Promise<LocalStore> {
  const low = new DynamoDBClient(localClientConfig(inject("dynamoEndpoint")));
  const counter = attachCostCounter(low);
  const tables = uniqueTableNames("dyn");
  await createTables(low, tables);
  const doc = DynamoDBDocumentClient.from(low);
  const store = new DynamoStateStore({ ...options, client: doc, tables });
  return {
    store,
    tables,
    low,
    counter,
    async dispose() {
      await store.close();
      await dropTables(low, tables);
      low.destroy();
    },
  };
}
