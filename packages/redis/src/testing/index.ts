export { findFreePort } from "./ports.js";
export type { RedisClusterHandle } from "./redis-cluster.js";
export { startRedisCluster } from "./redis-cluster.js";
export type { RedisServerHandle, RedisServerOptions } from "./redis-server.js";
export { redisCli, startRedisServer } from "./redis-server.js";
