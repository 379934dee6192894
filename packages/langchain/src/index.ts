export type { AgentStateChatMessageHistoryOptions } from "./chat-history.js";
export { AgentStateChatMessageHistory } from "./chat-history.js";
