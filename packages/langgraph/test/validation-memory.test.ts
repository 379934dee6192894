import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { memoryInitializer } from "./support/memory-initializer.js";

const initializer = memoryInitializer("AgentStateSaver on memory");

validate(initializer);
deltaChannelHistoryTests(initializer);
