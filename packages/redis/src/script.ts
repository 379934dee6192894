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

  async run(client: RedisClient, keys: string[], args: RedisArg[]): Promise<unknown> {
    return this.call(client, keys, args, send);
  }

  /** Like `run`, with every string in the reply as a Buffer (for binary values). */
  async runBuffer(client: RedisClient, keys: string[], args: RedisArg[]): Promise<unknown> {
    return this.call(client, keys, args, sendBuffer);
  }

  private async call(
    client: RedisClient,
    keys: string[],
    args: RedisArg[],
    via: typeof send,
  ): Promise<unknown> {
    const tail: RedisArg[] = [keys.length, ...keys, ...args];
    try {
      return await via(client, "EVALSHA", [this.sha1, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await via(client, "EVAL", [this.source, ...tail]);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
