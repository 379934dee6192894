export type { PruneOptions } from "./lifecycle.js";
export type { AgentStateSaverOptions } from "./options.js";
export { AgentStateSaver } from "./saver.js";
export type { AgentStateStoreOptions } from "./store.js";
export { AgentStateStore } from "./store.js";
