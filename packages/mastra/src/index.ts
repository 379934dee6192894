export { AgentStateMemoryStorage } from "./memory-storage.js";
export { AgentStateMastraStore, type AgentStateMastraStoreOptions } from "./store.js";
export { AgentStateWorkflowsStorage } from "./workflows-storage.js";
