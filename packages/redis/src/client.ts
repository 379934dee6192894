import { type Cluster, Command, type Redis } from "ioredis";

/** A standalone connection or a Cluster client; the store only sends commands through `call`. */
export type RedisClient = Redis | Cluster;

export type RedisArg = string | number | Buffer;

/**
 * Reply deadline added per MiB a command carries, on top of the connection's `commandTimeout`: room to move a
 * large write over a slow link and for Redis to parse it. A 32 MiB append gets 5 s + 32 s with the defaults.
 */
export const COMMAND_TIMEOUT_MS_PER_MIB = 1_000;
/** Commands smaller than this keep the connection's `commandTimeout` as it is. */
const LARGE_COMMAND_BYTES = 256 * 1024;
const MIB = 1024 * 1024;

/** One command, routed by its keys (ioredis reads key positions from the command table). */
export function send(client: RedisClient, command: string, args: RedisArg[]): Promise<unknown> {
  return sendWithDeadline(client, command, args, "utf8");
}

/** Like `send`, with every string in the reply as a Buffer (ioredis decodes replies as UTF-8 otherwise). */
export function sendBuffer(client: RedisClient, command: string, args: RedisArg[]): Promise<unknown> {
  return sendWithDeadline(client, command, args, null);
}

/**
 * A large command gets the connection's `commandTimeout` plus `COMMAND_TIMEOUT_MS_PER_MIB` per MiB it carries:
 * ioredis arms a command's timer only once, so a timer set here is the one that counts. Without a
 * `commandTimeout` on the connection there is no deadline to extend and the command goes as it is.
 */
function sendWithDeadline(
  client: RedisClient,
  command: string,
  args: RedisArg[],
  replyEncoding: "utf8" | null,
): Promise<unknown> {
  const options = connectionOptions(client);
  const base = options.commandTimeout;
  const bytes = typeof base === "number" ? argumentBytes(args) : 0;
  if (typeof base !== "number" || bytes < LARGE_COMMAND_BYTES) {
    return (
      replyEncoding === null ? client.callBuffer(command, args) : client.call(command, args)
    ) as Promise<unknown>;
  }
  const sent = new Command(command, args, {
    replyEncoding,
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
  });
  sent.setTimeout(base + Math.ceil((bytes / MIB) * COMMAND_TIMEOUT_MS_PER_MIB));
  return client.sendCommand(sent) as Promise<unknown>;
}

/** The options a command is sent with: a connection's own, or (Cluster) those of its node connections. */
function connectionOptions(client: RedisClient): { commandTimeout?: number; keyPrefix?: string } {
  if ("isCluster" in client && client.isCluster) {
    const cluster = client as Cluster;
    return {
      ...(cluster.options.redisOptions?.commandTimeout === undefined
        ? {}
        : { commandTimeout: cluster.options.redisOptions.commandTimeout }),
      ...(cluster.options.keyPrefix === undefined ? {} : { keyPrefix: cluster.options.keyPrefix }),
    };
  }
  const { commandTimeout, keyPrefix } = (client as Redis).options;
  return {
    ...(commandTimeout === undefined ? {} : { commandTimeout }),
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
  };
}

function argumentBytes(args: RedisArg[]): number {
  let bytes = 0;
  for (const arg of args)
    bytes += typeof arg === "string" ? Buffer.byteLength(arg) : Buffer.isBuffer(arg) ? arg.length : 8;
  return bytes;
}
