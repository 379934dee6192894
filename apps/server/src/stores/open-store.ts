import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import type { ServerConfig, StoreKind } from "../config.js";
import type { Logger } from "../logger.js";

/** A store opened for the server, with what it takes to release it. */
export interface OpenedStore {
  store: StateStore;
  kind: StoreKind;
  /** One line for the start-up log, e.g. `DynamoDB Local on disk at /x/.agent-state`. */
  description: string;
  /** Closes the store and stops whatever was started for it (the embedded DynamoDB Local). Idempotent. */
  close(): Promise<void>;
}

/** Opens the store `config.store` names. Throws with a message for the user when it cannot. */
export async function openStore(config: ServerConfig, logger: Logger): Promise<OpenedStore> {
  switch (config.store) {
    case "memory": {
      const store = new MemoryStateStore();
      return { store, kind: "memory", description: "in memory (lost on exit)", close: () => store.close() };
    }
    default:
      void logger;
      throw new Error(`store ${config.store} is not available in this build`);
  }
}
