export type { MemoryStateStoreOptions } from "./memory-store.js";
export { MemoryStateStore } from "./memory-store.js";
