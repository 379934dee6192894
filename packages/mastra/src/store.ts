import type { StateStore } from "@agent-state/core";
import { MastraCompositeStore, type StorageDomains } from "@mastra/core/storage";
import { layout } from "./layout.js";
import { AgentStateMemoryStorage } from "./memory-storage.js";
import { AgentStateWorkflowsStorage } from "./workflows-storage.js";

export interface AgentStateMastraStoreOptions {
  /** Any agent-state store: memory, DynamoDB (+ DAX, multi-region) or Redis. Not closed by `close()`. */
  store: StateStore;
  /** Mastra's storage id. Default "agent-state". */
  id?: string;
  /**
   * Prefix of every record scope this storage writes, so several Mastra apps can share one store.
   * Default "mastra".
   */
  namespace?: string;
  /** Makes the ids of copied threads and messages (`copyThread`). Default `crypto.randomUUID`. */
  newId?: () => string;
}

/**
 * A Mastra storage on any agent-state `StateStore`: the `memory` domain (threads, messages, resources and
 * working memory) and the `workflows` domain (run snapshots). Every other domain is absent, which is how
 * Mastra lets a store declare it unsupported (`getStore(name)` is undefined); compose one from another
 * store with `new MastraCompositeStore({ id, default: thisStore, domains: { … } })`.
 */
export class AgentStateMastraStore extends MastraCompositeStore {
  override stores: StorageDomains;

  constructor(options: AgentStateMastraStoreOptions) {
    super({ id: options.id ?? "agent-state", name: "AgentStateMastraStore" });
    const where = layout(options.namespace ?? "mastra");
    this.stores = {
      memory: new AgentStateMemoryStorage(options.store.records, where, options.newId),
      workflows: new AgentStateWorkflowsStorage(options.store.records, where),
    };
  }
}
