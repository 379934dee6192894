import { randomUUID } from "node:crypto";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { FAIL_FAST_REDIS_OPTIONS, RedisStateStore } from "@agent-state/redis";
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
  startRedisServer,
} from "@agent-state/redis/testing";
import { Cluster } from "ioredis";

// Standalone: each store makes (and closes) its own connection.
let server: RedisServerHandle;
describeStateStoreContract("redis standalone", {
  beforeAll: async () => {
    server = await startRedisServer();
  },
  create: ({ clock }) =>
    new RedisStateStore({
      redisOptions: { host: server.host, port: server.port },
      keyPrefix: `t-${randomUUID()}:`,
      clock,
    }),
  afterAll: () => server?.destroy(),
});

// Cluster: every store shares one caller-owned Cluster client, which close() must leave open.
let cluster: RedisClusterHandle;
let client: Cluster;
describeStateStoreContract("redis cluster", {
  beforeAll: async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes, { redisOptions: FAIL_FAST_REDIS_OPTIONS });
  },
  create: ({ clock }) => new RedisStateStore({ redis: client, keyPrefix: `t-${randomUUID()}:`, clock }),
  afterAll: async () => {
    await client?.quit();
    await cluster?.destroy();
  },
});
