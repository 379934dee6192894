export type { AgentStateSessionServiceOptions } from "./session-service.js";
export { AgentStateSessionService, StaleSessionError } from "./session-service.js";
