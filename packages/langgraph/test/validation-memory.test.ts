import { MemoryStateStore } from "@agent-state/memory";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { AgentStateSaver } from "../src/index.js";

const stores = new Map<AgentStateSaver, MemoryStateStore>();
const initializer = {
  checkpointerName: "AgentStateSaver on memory",
  createCheckpointer() {
    const store = new MemoryStateStore();
    const saver = new AgentStateSaver(store);
    stores.set(saver, store);
    return saver;
  },
  async destroyCheckpointer(saver: AgentStateSaver) {
    await stores.get(saver)?.close();
    stores.delete(saver);
  },
};

validate(initializer);
deltaChannelHistoryTests(initializer);
