import type { Cluster, Redis } from "ioredis";

/** A standalone connection or a Cluster client; the store only sends commands through `call`. */
export type RedisClient = Redis | Cluster;

export type RedisArg = string | number | Buffer;

/** One command, routed by its keys (ioredis reads key positions from the command table). */
export function send(client: RedisClient, command: string, args: RedisArg[]): Promise<unknown> {
  return client.call(command, args) as Promise<unknown>;
}

/** Like `send`, with every string in the reply as a Buffer (ioredis decodes replies as UTF-8 otherwise). */
export function sendBuffer(client: RedisClient, command: string, args: RedisArg[]): Promise<unknown> {
  return client.callBuffer(command, args) as Promise<unknown>;
}
