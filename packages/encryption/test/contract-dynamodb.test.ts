import { randomBytes } from "node:crypto";
import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
import { withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";

const client = new DynamoDBClient(localClientConfig(inject("testBackends").dynamoEndpoint));
const drops = new WeakMap<StateStore, () => Promise<void>>();

// withEncryption over a DynamoStateStore on its own tables in DynamoDB Local.
describeStateStoreContract("encryption (DynamoDB Local)", {
  create: async ({ clock }) => {
    const tables = await createTables(client, uniqueTableNames("enc"));
    const inner = new DynamoStateStore({ client: DynamoDBDocument.from(client), tables, clock });
    const store = withEncryption(inner, { keyring: testKeyring({ k1: randomBytes(32) }) });
    drops.set(store, () => dropTables(client, tables));
    return store;
  },
  destroy: (store) => drops.get(store)?.(),
  afterAll: () => client.destroy(),
});
