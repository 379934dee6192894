import { MemoryStateStore } from "@agent-state/memory";
import { describeGraphScenario } from "./support/graph-scenario.js";

describeGraphScenario("memory", {
  async open() {
    const store = new MemoryStateStore();
    // The memory store is the "backend": a restarted process gets a new saver over the same data.
    return { store, reopen: async () => store, dispose: () => store.close() };
  },
});
