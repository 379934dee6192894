import { MemoryStateStore } from "@agent-state/memory";
import { describeLifecycleScenario } from "./support/lifecycle-scenario.js";

describeLifecycleScenario("memory", async () => {
  const store = new MemoryStateStore();
  return { store, dispose: () => store.close() };
});
