import { randomUUID } from "node:crypto";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { AgentStateSaver } from "../../src/index.js";
import { type BackendData, type BackendName, backendData } from "./backends.js";
import { describeGraphScenario } from "./graph-scenario.js";
import { describeLifecycleScenario } from "./lifecycle-scenario.js";
import { describeStoreScenario } from "./store-scenario.js";

/**
 * Everything this package checks, on one backend: LangGraph's conformance suite (and its delta-channel
 * tests), a real graph with an interrupt and a restart, and AgentStateStore against InMemoryStore.
 */
export function describeOnBackend(name: BackendName): void {
  let shared: BackendData;
  // One set of tables (or key prefix) for the suite; each checkpointer gets its own scope prefix.
  const initializer = {
    checkpointerName: `AgentStateSaver on ${name}`,
    beforeAll: async () => {
      shared = await backendData(name);
    },
    beforeAllTimeout: 60_000,
    afterAll: () => shared?.dispose(),
    createCheckpointer: () => new AgentStateSaver(shared.open(), { scopePrefix: `lg-${randomUUID()}:` }),
  };
  validate(initializer);
  // deltaChannelHistoryTests has no hooks of its own for setup: the suite's run them (same file).
  deltaChannelHistoryTests(initializer);

  describeGraphScenario(name, {
    async open() {
      const data = await backendData(name);
      return { store: data.open(), reopen: async () => data.open(), dispose: () => data.dispose() };
    },
  });
  describeStoreScenario(name, async () => {
    const data = await backendData(name);
    return { store: data.open(), dispose: () => data.dispose() };
  });
  describeLifecycleScenario(name, async () => {
    const data = await backendData(name);
    return { store: data.open(), dispose: () => data.dispose() };
  });
}
