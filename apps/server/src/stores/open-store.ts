import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import type { ServerConfig, StoreKind } from "../config.js";
import type { Logger } from "../logger.js";
import { openDynamoStore } from "./dynamodb.js";
import { openEmbeddedStore, type SupervisedDynamoDbLocal } from "./embedded.js";
import { encrypted, openKeyring } from "./encryption.js";
import { openRedisStore } from "./redis.js";

/** Whether the store can answer now; `reason` (plain words, no endpoints) when it cannot. */
export type HealthReport = { ok: true } | { ok: false; reason: string };

/** A store opened for the server, with what it takes to release it. */
export interface OpenedStore {
  store: StateStore;
  kind: StoreKind;
  /** One line for the start-up log, e.g. `DynamoDB Local on disk at /x/.agent-state/dynamodb`. */
  description: string;
  /** The supervised DynamoDB Local of the embedded store (tests look at its pid and restarts). */
  embedded?: SupervisedDynamoDbLocal;
  /** What is known without asking the store (the embedded JVM being restarted); `/healthz` then asks it. */
  health?: () => HealthReport;
  /** Closes the store and stops whatever was started for it (the embedded DynamoDB Local). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the store `config.store` names, encrypted when `config.encryption` names a key. Throws with a message
 * for the user when it cannot.
 */
export async function openStore(config: ServerConfig, logger: Logger): Promise<OpenedStore> {
  const keyring = openKeyring(config);
  const opened = await openPlainStore(config, logger);
  return keyring === null ? opened : encrypted(opened, keyring);
}

async function openPlainStore(config: ServerConfig, logger: Logger): Promise<OpenedStore> {
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
