import type { CommonStoreOptions } from "@agent-state/core";
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

type ClusterOptionsWithReplyMapping<M> = ClusterOptions & {
  redisOptions?: ClusterOptions["redisOptions"] & { replyMapping?: M };
};

import type { RedisClient } from "./client.js";

/** Where the store's connection comes from: exactly one of these (or none, for localhost:6379). */
export type RedisConnectionOptions =
  /** A connection you made; the store uses it as it is and `close()` leaves it open. */
  | { redis: RedisClient; redisOptions?: never; cluster?: never }
  /** Options for a standalone connection the store makes (with outage-friendly defaults) and closes. */
  | { redisOptions: RedisOptions; redis?: never; cluster?: never }
  /** A Redis Cluster the store connects to (with outage-friendly defaults) and closes. */
  | { cluster: { nodes: ClusterNode[]; options?: ClusterOptions }; redis?: never; redisOptions?: never }
  | { redis?: never; redisOptions?: never; cluster?: never };

export type RedisStateStoreOptions = RedisConnectionOptions &
  CommonStoreOptions & {
    /** Prepended to every key, e.g. `"myapp:"`, so several stores share one database. No `{` or `}`. */
    keyPrefix?: string;
  };

/** How long a command may wait for its reply before it fails as UNAVAILABLE. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

/**
 * The connection settings the store uses for connections it makes; spread them into your own client's
 * options to get the same behaviour. They fail fast while disconnected instead of queueing forever: a
 * queued command is rejected after one failed reconnect attempt, reconnects go on in the background (so
 * the store heals by itself), and every command has a reply deadline. Commands whose reply was lost with
 * the connection are not re-sent after reconnecting (an append or a hit count would apply twice); they
 * fail at their deadline as UNAVAILABLE, since whether they ran is unknown.
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  commandTimeout: DEFAULT_COMMAND_TIMEOUT_MS,
  connectTimeout: DEFAULT_COMMAND_TIMEOUT_MS,
} satisfies RedisOptions;

function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 1000);
}

/** The store's client, and whether the store made it (and so must close it). */
export function connect(options: RedisConnectionOptions): { client: RedisClient; owned: boolean } {
  if (options.redis) return { client: options.redis, owned: false };
  if (options.cluster) {
    const clusterOptions: ClusterOptionsWithReplyMapping<"legacy"> = {
      clusterRetryStrategy: reconnectDelayMs,
      ...options.cluster.options,
      redisOptions: {
        ...FAIL_FAST_REDIS_OPTIONS,
        ...options.cluster.options?.redisOptions,
        replyMapping: "legacy",
      },
    };
    return { client: quietly(new Cluster(options.cluster.nodes, clusterOptions)), owned: true };
  }
  const redisOptions: RedisOptions & { replyMapping: "legacy" } = {
    ...FAIL_FAST_REDIS_OPTIONS,
    retryStrategy: reconnectDelayMs,
    ...options.redisOptions,
    replyMapping: "legacy",
  };
  return { client: quietly(new Redis(redisOptions)), owned: true };
}

// Without an 'error' listener ioredis logs every failed reconnect attempt. The store's own connection
// needs none: each command that fails meanwhile already rejects with UNAVAILABLE to its caller.
function quietly<T extends RedisClient>(client: T): T {
  client.on("error", () => {});
  return client;
}
