import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { pickFreePort } from "@agent-state/dynamodb-local";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { createTables, DynamoStateStore } from "../src/index.js";
import { dropTables, localClientConfig, uniqueTableNames } from "../src/testing/index.js";

const open = new Map<StateStore, () => Promise<void>>();

// The unchanged contract suite over a two-region store whose home is healthy; the second region is a port
// nobody listens on (a dead region: its probes fail, which must not disturb anything served by home).
describeStateStoreContract("dynamodb, two regions, home healthy", {
  async create({ clock }) {
    const home = localClientConfig(inject("dynamoEndpoint"));
    const admin = new DynamoDBClient(home);
    const tables = uniqueTableNames("mrc");
    await createTables(admin, tables);
    const dead = `http://127.0.0.1:${await pickFreePort()}`;
    const store = new DynamoStateStore({
      clock,
      tables,
      regions: [
        { region: "us-east-1", clientConfig: home },
        { region: "us-west-2", clientConfig: { ...localClientConfig(dead), maxAttempts: 1 } },
      ],
      regionHealth: { probeIntervalMs: 200, probeTimeoutMs: 500, recoverAfterMs: 1_000 },
    });
    open.set(store, async () => {
      await store.close();
      await dropTables(admin, tables);
      admin.destroy();
    });
    return store;
  },
  async destroy(store) {
    await open.get(store)?.();
    open.delete(store);
  },
});
