import { randomUUID } from "node:crypto";
import { sequenceMessageId } from "@agent-state/core";
import { RedisStateStore, type RedisStateStoreOptions } from "@agent-state/redis";
import { startRedisCluster, startRedisServer } from "@agent-state/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const APPENDS = 100;
const RECENT = 5;

// `get` with recent messages reads the session and its messages in one transaction: while appends of two
// messages at a time run on another connection, every read's messageCount is even and its recent messages
// are exactly the last ones that count implies (a read of the two at different moments would tear).
describe.each([
  ["standalone", false],
  ["cluster", true],
] as const)(
  "redis %s: sessions.get reads the session and its recent messages at one moment",
  (_, onCluster) => {
    let connection: RedisStateStoreOptions;
    let destroy: () => Promise<void>;
    beforeAll(async () => {
      if (onCluster) {
        const cluster = await startRedisCluster({ masters: 3 });
        connection = { cluster: { nodes: cluster.nodes } };
        destroy = () => cluster.destroy();
      } else {
        const server = await startRedisServer();
        connection = { redisOptions: { host: server.host, port: server.port } };
        destroy = () => server.destroy();
      }
    }, 60_000);
    afterAll(() => destroy?.());

    it("as a new store's first calls, sent before it has connected (queued until it has)", async () => {
      const keyPrefix = `first-${randomUUID()}:`;
      const writer = new RedisStateStore({ ...connection, keyPrefix });
      const reader = new RedisStateStore({ ...connection, keyPrefix });
      try {
        await writer.sessions.create({ sessionId: "s" });
        await writer.sessions.append("s", [
          { role: "user", content: "q" },
          { role: "assistant", content: "a" },
        ]);
        const [both, last] = await Promise.all([
          reader.sessions.get("s", { recentMessages: 5 }),
          reader.sessions.get("s", { recentMessages: 1 }),
        ]);
        expect(both?.recentMessages?.map((m) => m.content)).toEqual(["q", "a"]);
        expect(last?.recentMessages?.map((m) => m.content)).toEqual(["a"]);
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    it("while appends run on another connection", async () => {
      const keyPrefix = `moment-${randomUUID()}:`;
      const writer = new RedisStateStore({ ...connection, keyPrefix });
      const reader = new RedisStateStore({ ...connection, keyPrefix });
      try {
        await writer.sessions.create({ sessionId: "s" });
        let writing = true;
        const appends = (async () => {
          for (let i = 0; i < APPENDS; i++) {
            await writer.sessions.append("s", [
              { role: "user", content: `q${i}` },
              { role: "assistant", content: `a${i}` },
            ]);
          }
          writing = false;
        })();
        const counts = new Set<number>();
        while (writing) {
          const session = await reader.sessions.get("s", { recentMessages: RECENT });
          const count = session?.messageCount ?? -1;
          counts.add(count);
          const expected = Array.from({ length: Math.min(RECENT, count) }, (_, i) =>
            sequenceMessageId(count - Math.min(RECENT, count) + 1 + i),
          );
          expect({ count, even: count % 2 === 0, ids: session?.recentMessages?.map((m) => m.id) }).toEqual({
            count,
            even: true,
            ids: expected,
          });
        }
        await appends;
        // The reads saw the session at several moments, so they did run among the appends.
        expect(counts.size).toBeGreaterThan(1);
        const last = await reader.sessions.get("s", { recentMessages: 2 });
        expect(last?.recentMessages?.map((m) => m.content)).toEqual([`q${APPENDS - 1}`, `a${APPENDS - 1}`]);
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });
  },
);
