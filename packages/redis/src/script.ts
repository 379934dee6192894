import { createHash } from "node:crypto";
import { type RedisArg, type RedisClient, send } from "./client.js";

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
    const tail: RedisArg[] = [keys.length, ...keys, ...args];
    try {
      return await send(client, "EVALSHA", [this.sha1, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await send(client, "EVAL", [this.source, ...tail]);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
