export type { RedisClient } from "./client.js";
export { toStoreError } from "./errors.js";
export { escapeKeyPart, KeySpace } from "./keys.js";
export type { RedisConnectionOptions, RedisStateStoreOptions } from "./options.js";
export { DEFAULT_COMMAND_TIMEOUT_MS, FAIL_FAST_REDIS_OPTIONS } from "./options.js";
export { RedisStateStore } from "./redis-store.js";
export { MAX_VALUE_BYTES } from "./size.js";
export { EXACT_STATS_MAX_SESSIONS } from "./stats.js";
