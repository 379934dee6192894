export type { CheckpointDetail, CheckpointSummary, ThreadSummary } from "./inspect.js";
export { ThreadInspector } from "./inspect.js";
export type { JsonChange, JsonDiff } from "./json-diff.js";
export { diffJson } from "./json-diff.js";
export type { PruneOptions } from "./lifecycle.js";
export type { AgentStateSaverOptions } from "./options.js";
export { AgentStateSaver } from "./saver.js";
export type { AgentStateStoreOptions } from "./store.js";
export { AgentStateStore } from "./store.js";
