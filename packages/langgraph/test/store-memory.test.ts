import { MemoryStateStore } from "@agent-state/memory";
import { describeStoreScenario } from "./support/store-scenario.js";

describeStoreScenario("memory", async () => {
  const store = new MemoryStateStore();
  return { store, dispose: () => store.close() };
});
