export type { BreakerOptions, BreakerState } from "./breaker.js";
export { CircuitBreaker } from "./breaker.js";
export type { DaxClient, DaxReadClient } from "./dax-client.js";
export { DaxStateStore, withDax } from "./dax-store.js";
export type { DaxEvent, DaxOperation, DaxStats, DaxWriteOperation, FallbackReason } from "./events.js";
export type { L1Options } from "./l1-cache.js";
export type { DaxOptions } from "./options.js";
