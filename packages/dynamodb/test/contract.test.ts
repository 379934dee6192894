import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { createLocalStore, type LocalStore } from "./local.js";

const open = new Map<StateStore, LocalStore>();

for (const recordsTable of [false, true]) {
  // Records in the sessions table (the default) through a DynamoDBDocumentClient, and in a table of their own
  // (`tables.records`) through a DynamoDBClient with cacheMiddleware (as the store builds its own).
  describeStateStoreContract(
    recordsTable ? "dynamodb, records table of their own, cacheMiddleware client" : "dynamodb",
    {
      async create({ clock }) {
        const local = await createLocalStore(
          { clock, region: "us-east-1" },
          { recordsTable, cachedClient: recordsTable },
        );
        open.set(local.store, local);
        return local.store;
      },
      async destroy(store) {
        await open.get(store)?.dispose();
        open.delete(store);
      },
    },
  );
}
