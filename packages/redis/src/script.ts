import { createHash } from "node:crypto";
import { type RedisArg, type RedisClient, send, sendBuffer } from "./client.js";

/**
 * A Lua script called by SHA (EVALSHA), falling back to EVAL when the server answers NOSCRIPT (first
 * use on a node, after SCRIPT FLUSH or a restart); EVAL also caches it, so later calls go by SHA again.
 * Each call is one round trip in the common case.
 */
export class LuaScript {
  readonly sha1: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha1 = createHash("sha1").update(source).digest("hex");
  }

  run(client: RedisClient, keys: string[], args: RedisArg[]): Promise<unknown> {
    return this.call(client, keys, args, send);
  }

  /** Like `run`, with every string in the reply as a Buffer (for binary values). */
  runBuffer(client: RedisClient, keys: string[], args: RedisArg[]): Promise<unknown> {
    return this.call(client, keys, args, sendBuffer);
  }

  // No async function in between: the EVALSHA's own promise, with a handler only for NOSCRIPT (one promise
  // and one microtask less per call on every hot path).
  private call(client: RedisClient, keys: string[], args: RedisArg[], via: typeof send): Promise<unknown> {
    // EVALSHA's arguments, built in one array: sha1, numkeys, keys, args.
    const sent: RedisArg[] = new Array(2 + keys.length + args.length);
    sent[0] = this.sha1;
    sent[1] = keys.length;
    for (let i = 0; i < keys.length; i++) sent[2 + i] = keys[i] as string;
    for (let i = 0; i < args.length; i++) sent[2 + keys.length + i] = args[i] as RedisArg;
    return via(client, "EVALSHA", sent).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      const again = [...sent];
      again[0] = this.source;
      return via(client, "EVAL", again);
    });
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
