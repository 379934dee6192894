import type { ResolvedCommonOptions } from "@agent-state/core";
import type { RedisClient } from "./client.js";
import type { KeySpace } from "./keys.js";

/** What every part of the store shares: the connection, the key layout, the clock and ttl defaults. */
export interface StoreContext {
  readonly client: RedisClient;
  readonly keys: KeySpace;
  readonly options: ResolvedCommonOptions;
}
