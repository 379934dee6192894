export type { AgentStateKeyvOptions } from "./keyv-store.js";
export { AgentStateKeyv } from "./keyv-store.js";
