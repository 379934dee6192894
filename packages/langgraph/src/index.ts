export type { AgentStateSaverOptions } from "./options.js";
export { AgentStateSaver } from "./saver.js";
