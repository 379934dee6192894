import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import type { ServerConfig, StoreKind } from "../config.js";
import type { Logger } from "../logger.js";
import { openDynamoStore, openEmbeddedStore } from "./dynamodb.js";
import { openRedisStore } from "./redis.js";

/** A store opened for the server, with what it takes to release it. */
export interface OpenedStore {
  store: StateStore;
  kind: StoreKind;
  /** One line for the start-up log, e.g. `DynamoDB Local on disk at /x/.agent-state/dynamodb`. */
  description: string;
  /** Closes the store and stops whatever was started for it (the embedded DynamoDB Local). Idempotent. */
  close(): Promise<void>;
}

/** Opens the store `config.store` names. Throws with a message for the user when it cannot. */
export async function openStore(config: ServerConfig, logger: Logger): Promise<OpenedStore> {
  switch (config.store) {
    case "embedded":
      return openEmbeddedStore(config, logger);
    case "dynamodb":
      return openDynamoStore(config);
    case "redis":
      return openRedisStore(config);
    case "memory": {
      const store = new MemoryStateStore();
      return { store, kind: "memory", description: "in memory (lost on exit)", close: () => store.close() };
    }
  }
}
