import { randomUUID } from "node:crypto";
import type { StateStore } from "@agent-state/core";
import { withDax } from "@agent-state/dax";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { RedisStateStore } from "@agent-state/redis";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
import { DaxDouble } from "../../../dax/test/support/dax-double.js";

/**
 * A backend's data: `open` gives a store over it; every call gives a new store (a new client) over the same
 * data, which is what a restarted process sees. `dispose` closes what was opened and removes the data.
 */
export interface BackendData {
  open(): StateStore;
  dispose(): Promise<void>;
}

export type BackendName = "dynamodb" | "redis" | "dax";

export async function backendData(name: BackendName): Promise<BackendData> {
  if (name === "redis") {
    const keyPrefix = `lg-${randomUUID()}:`;
    const opened: StateStore[] = [];
    return {
      open() {
        const store = new RedisStateStore({
          redisOptions: { host: "127.0.0.1", port: inject("redisPort") },
          keyPrefix,
        });
        opened.push(store);
        return store;
      },
      async dispose() {
        await Promise.all(opened.map((s) => s.close()));
      },
    };
  }
  const low = new DynamoDBClient(localClientConfig(inject("dynamoEndpoint")));
  const tables = await createTables(low, uniqueTableNames("lg"));
  const opened: StateStore[] = [];
  return {
    open() {
      const dynamo = new DynamoStateStore({ client: DynamoDBDocument.from(low), tables });
      // withDax over DynamoDB Local, with the DAX double (item and query caches on the same tables) as DAX.
      const store =
        name === "dax" ? withDax(dynamo, { client: new DaxDouble(DynamoDBDocument.from(low)) }) : dynamo;
      opened.push(store);
      return store;
    },
    async dispose() {
      await Promise.all(opened.map((s) => s.close()));
      await dropTables(low, tables);
      low.destroy();
    },
  };
}
