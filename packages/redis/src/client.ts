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
  const base = commandTimeoutOf(client);
  const bytes = typeof base === "number" ? largeArgumentBytes(args) : 0;
  if (typeof base !== "number" || bytes === 0) {
    return (
      replyEncoding === null ? client.callBuffer(command, args) : client.call(command, args)
    ) as Promise<unknown>;
  }
  const keyPrefix = keyPrefixOf(client);
  const sent = new Command(command, args, {
    replyEncoding,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
  });
  sent.setTimeout(base + Math.ceil((bytes / MIB) * COMMAND_TIMEOUT_MS_PER_MIB));
  return client.sendCommand(sent) as Promise<unknown>;
}

function isCluster(client: RedisClient): client is Cluster {
  return "isCluster" in client && client.isCluster;
}

/** The `commandTimeout` commands are sent with: a connection's own, or (Cluster) that of its node connections. */
function commandTimeoutOf(client: RedisClient): number | undefined {
  return isCluster(client) ? client.options.redisOptions?.commandTimeout : client.options.commandTimeout;
}

function keyPrefixOf(client: RedisClient): string | undefined {
  return client.options.keyPrefix;
}

/**
 * The bytes `args` carry when that is at least LARGE_COMMAND_BYTES, else 0. Counting bytes takes a pass over
 * every string, so it is only done when the strings' lengths allow that many (UTF-8 is at most 3 bytes per
 * UTF-16 code unit): the hot paths' small commands never pay for it.
 */
function largeArgumentBytes(args: RedisArg[]): number {
  let most = 0;
  for (const arg of args)
    most += typeof arg === "string" ? 3 * arg.length : Buffer.isBuffer(arg) ? arg.length : 8;
  if (most < LARGE_COMMAND_BYTES) return 0;
  let bytes = 0;
  for (const arg of args)
    bytes += typeof arg === "string" ? Buffer.byteLength(arg) : Buffer.isBuffer(arg) ? arg.length : 8;
  return bytes < LARGE_COMMAND_BYTES ? 0 : bytes;
}

/** One command of a `transaction`: its name and arguments. */
export type TransactionCommand = readonly [name: string, args: RedisArg[]];

/**
 * Runs `commands` as one MULTI/EXEC transaction, in one round trip: they see the data at one moment. Resolves
 * with the EXEC reply (one entry per command; a command's error reply is an Error in its place). Rejects with
 * the server's EXECABORT error when it refused a queued command (see `isTransactionRefused`). Every key must be
 * in one Cluster slot.
 */
export function transaction(
  client: RedisClient,
  commands: readonly TransactionCommand[],
): Promise<unknown[]> {
  if (isCluster(client)) return clusterTransaction(client, commands);
  return standaloneTransaction(client as Redis, commands);
}

/**
 * Whether a transaction failed as a whole on the server, with nothing run: EXECABORT (a queued command was
 * refused: every command while Redis is over `maxmemory`, reads too) or EXEC without MULTI (the connection was
 * replaced between the two). A caller may then do the same work another way.
 */
export function isTransactionRefused(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.message.startsWith("EXECABORT") || error.message.startsWith("ERR EXEC without MULTI"))
  );
}

const ignore = () => {};

/** What `sendCommand` writes a command to instead of the socket: ioredis's pipeline stream shape. */
type CommandSink = Extract<NonNullable<Parameters<Redis["sendCommand"]>[1]>, { isPipeline: true }>;

/**
 * MULTI, the commands and EXEC handed to the socket in one write (ioredis's `multi()` does the same with a
 * pipeline object and a promise per reply, which costs more client time than the commands' own work). The
 * commands go through `sendCommand` as usual, so the offline queue, timeouts and key prefix apply; they are
 * buffered until EXEC's turn, also when ioredis re-sends unanswered commands after a reconnect.
 */
function standaloneTransaction(client: Redis, commands: readonly TransactionCommand[]): Promise<unknown[]> {
  const chunks: (string | Buffer)[] = [];
  const buffering: CommandSink = {
    isPipeline: true,
    destination: { redis: client },
    write(chunk: string | Buffer) {
      chunks.push(chunk);
    },
  };
  const flushing: CommandSink = {
    isPipeline: true,
    destination: { redis: client },
    write(chunk: string | Buffer) {
      chunks.push(chunk);
      const all = chunks.every((c) => typeof c === "string")
        ? chunks.join("")
        : Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
      chunks.length = 0;
      client.stream.write(all);
    },
  };
  const keyPrefix = keyPrefixOf(client);
  const queuedOptions = keyPrefix === undefined ? {} : { keyPrefix };
  const queue = (name: string, args: RedisArg[]) => {
    const command = new Command(name, args, queuedOptions);
    // Its reply is QUEUED or the reason EXEC aborts; EXEC's reply carries what matters.
    command.promise.catch(ignore);
    client.sendCommand(command, buffering);
  };
  queue("multi", []);
  for (const [name, args] of commands) queue(name, args);
  const exec = new Command("exec", [], { replyEncoding: "utf8" });
  client.sendCommand(exec, flushing);
  return exec.promise as Promise<unknown[]>;
}

/** On a Cluster, ioredis's own `multi()` (it routes the transaction by its keys and follows MOVED/ASK). */
async function clusterTransaction(
  client: Cluster,
  commands: readonly TransactionCommand[],
): Promise<unknown[]> {
  const multi = client.multi();
  for (const [name, args] of commands) multi.call(name, ...args);
  const replies = (await multi.exec()) ?? [];
  return replies.map(([error, reply]) => error ?? reply);
}
