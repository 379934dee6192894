import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
import { withDax } from "../src/index.js";
import { DaxDouble } from "./support/dax-double.js";
import { localClient } from "./support/dynamo.js";
import { freshDynamoStore } from "./support/stores.js";

const client = localClient(inject("dynamoEndpoint"));
const drops = new WeakMap<StateStore, () => Promise<void>>();

// withDax over a DynamoStateStore on DynamoDB Local, with the DAX double (same DynamoDB) as its DAX cluster.
describeStateStoreContract("dax (DynamoDB Local + DAX double)", {
  create: async ({ clock }) => {
    const { store, drop } = await freshDynamoStore(client, clock);
    const dax = withDax(store, { client: new DaxDouble(DynamoDBDocument.from(client)) });
    drops.set(dax, drop);
    return dax;
  },
  destroy: (store) => drops.get(store)?.(),
  afterAll: () => client.destroy(),
});
