import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { withDax } from "@agent-state/dax";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
// The DAX double of @agent-state/dax's own tests: DAX's caching semantics over the same DynamoDB Local.
import { DaxDouble } from "../../dax/test/support/dax-double.js";
import { withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";

const client = new DynamoDBClient(localClientConfig(inject("testBackends").dynamoEndpoint));
const drops = new WeakMap<StateStore, () => Promise<void>>();

// withEncryption over withDax over a DynamoStateStore: encryption outermost, so DAX caches ciphertext only.
describeStateStoreContract("encryption (DAX double over DynamoDB Local)", {
  create: async ({ clock }) => {
    const tables = await createTables(client, uniqueTableNames("encdax"));
    const inner = new DynamoStateStore({ client: DynamoDBDocument.from(client), tables, clock });
    const dax = withDax(inner, { client: new DaxDouble(DynamoDBDocument.from(client)) });
    const store = withEncryption(dax, { keyring: testKeyring() });
    drops.set(store, () => dropTables(client, tables));
    return store;
  },
  destroy: (store) => drops.get(store)?.(),
  afterAll: () => client.destroy(),
});
