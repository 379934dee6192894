import { randomUUID } from "node:crypto";
import type { Clock, StateStore } from "@agent-state/core";
import { withDax } from "@agent-state/dax";
import { createTables, DynamoStateStore, type TableNames } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { RedisStateStore } from "@agent-state/redis";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
import { DaxDouble } from "../../../dax/test/support/dax-double.js";
import "../../../test-backends/src/provided.js";

export const BACKENDS = ["memory", "dynamodb", "redis", "dax"] as const;
export type Backend = (typeof BACKENDS)[number];

export interface OpenedStore {
  store: StateStore;
  /** The tables of a DynamoDB-backed store. */
  tables?: TableNames;
  /** The low-level client of a DynamoDB-backed store (add middleware to count what it sends). */
  low?: DynamoDBClient;
  dispose(): Promise<void>;
}

/** A fresh store on `backend` (own tables or key prefix) on the project's DynamoDB Local and redis-server. */
export async function openStore(backend: Backend, clock?: Clock): Promise<OpenedStore> {
  const clockOption = clock === undefined ? {} : { clock };
  const { dynamoEndpoint, redisHost, redisPort } = inject("testBackends");
  switch (backend) {
    case "memory": {
      const store = new MemoryStateStore(clockOption);
      return { store, dispose: () => store.close() };
    }
    case "redis": {
      const store = new RedisStateStore({
        ...clockOption,
        redisOptions: { host: redisHost, port: redisPort },
        keyPrefix: `tel-${randomUUID()}:`,
      });
      return { store, dispose: () => store.close() };
    }
    case "dynamodb":
    case "dax": {
      const low = new DynamoDBClient(localClientConfig(dynamoEndpoint));
      const tables = await createTables(low, uniqueTableNames("tel"));
      const dynamo = new DynamoStateStore({ ...clockOption, client: DynamoDBDocument.from(low), tables });
      const store =
        backend === "dax" ? withDax(dynamo, { client: new DaxDouble(DynamoDBDocument.from(low)) }) : dynamo;
      return {
        store,
        tables,
        low,
        async dispose() {
          await store.close();
          await dropTables(low, tables);
          low.destroy();
        },
      };
    }
  }
}
