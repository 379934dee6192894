import { send } from "./client.js";
import type { StoreContext } from "./context.js";
import { physicalTtlMs } from "./expiry.js";
import { REGISTER, TOUCH_USER_INDEX } from "./scripts/index-scripts.js";

/**
 * The two places a session is listed outside its own slot: its user's index (for `listByUser`) and the
 * stats registry, both holding it until a "registered until" time at least as late as its expiry.
 * They are refreshed on create and then only when sliding expiry passes that time (once per ttl of
 * activity), so update and append stay one round trip in the common case.
 */
export class SessionIndex {
  constructor(private readonly context: StoreContext) {}

  async register(sessionId: string, userId: string | null, registeredUntil: string): Promise<void> {
    const { client, keys, options } = this.context;
    const now = options.clock();
    const writes: Promise<unknown>[] = [
      REGISTER.run(
        client,
        [keys.sessionRegistry(sessionId)],
        [String(now), registeredUntil, sessionId, "gt"],
      ),
    ];
    if (userId !== null) {
      const physical = String(physicalTtlMs(Number(registeredUntil), now));
      writes.push(TOUCH_USER_INDEX.run(client, [keys.userSessions(userId)], [sessionId, physical]));
    }
    await Promise.all(writes);
  }

  async unregister(sessionId: string, userId: string | null): Promise<void> {
    const { client, keys } = this.context;
    const writes = [send(client, "ZREM", [keys.sessionRegistry(sessionId), sessionId])];
    if (userId !== null) writes.push(send(client, "ZREM", [keys.userSessions(userId), sessionId]));
    await Promise.all(writes);
  }

  /** Up to `count` ids of the user's index after `after` (lexical order). */
  async userPage(userId: string, after: string | null, count: number): Promise<string[]> {
    const from = after === null ? "-" : `(${after}`;
    const reply = await send(this.context.client, "ZRANGE", [
      this.context.keys.userSessions(userId),
      from,
      "+",
      "BYLEX",
      "LIMIT",
      0,
      count,
    ]);
    return (reply as unknown[]).map(String);
  }

  /** Removes ids found dead (deleted, expired or reused by another user) from the user's index. */
  async dropFromUser(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await send(this.context.client, "ZREM", [this.context.keys.userSessions(userId), ...sessionIds]);
  }
}
