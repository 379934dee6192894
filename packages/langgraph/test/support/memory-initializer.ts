import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import { AgentStateSaver } from "../../src/index.js";

/**
 * A LangGraph checkpoint-validation initializer: each checkpointer is a saver on its own fresh memory store
 * (seen through `wrap`, e.g. a decorator), and that store is closed when the suite destroys the checkpointer.
 */
export function memoryInitializer(
  checkpointerName: string,
  wrap: (store: StateStore) => StateStore = (s) => s,
) {
  const stores = new Map<AgentStateSaver, MemoryStateStore>();
  return {
    checkpointerName,
    createCheckpointer() {
      const store = new MemoryStateStore();
      const saver = new AgentStateSaver(wrap(store));
      stores.set(saver, store);
      return saver;
    },
    async destroyCheckpointer(saver: AgentStateSaver) {
      await stores.get(saver)?.close();
      stores.delete(saver);
    },
  };
}
