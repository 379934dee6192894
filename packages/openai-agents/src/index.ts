export type { AgentStateSessionOptions } from "./session.js";
export { AgentStateSession } from "./session.js";
