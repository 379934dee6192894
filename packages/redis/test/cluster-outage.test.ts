import { randomUUID } from "node:crypto";
import { codeOf } from "@agent-state/core/testing";
import { RedisStateStore } from "@agent-state/redis";
import { type RedisClusterHandle, redisCli, startRedisCluster } from "@agent-state/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cluster: RedisClusterHandle;
let store: RedisStateStore;
const keyPrefix = `co-${randomUUID()}:`;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  store = new RedisStateStore({ cluster: { nodes: cluster.nodes }, keyPrefix });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await cluster?.destroy();
});

async function clusterOk(port: number): Promise<boolean> {
  return (await redisCli(port, ["cluster", "info"]).catch(() => "")).includes("cluster_state:ok");
}

describe("redis cluster: scripts and a master going down", () => {
  it("after SCRIPT FLUSH on every node, every operation still works (NOSCRIPT falls back to EVAL)", async () => {
    await store.sessions.create({ sessionId: "flush", userId: "fu" });
    await store.sessions.append("flush", { role: "user", content: "before" });
    await store.toolCache.set("t", { a: 1 }, "v", { ttlSeconds: 60 });
    await Promise.all(cluster.servers.map((server) => redisCli(server.port, ["script", "flush"])));
    await store.sessions.append("flush", { role: "user", content: "after" });
    expect(
      (await store.sessions.get("flush", { recentMessages: 5 }))?.recentMessages?.map((m) => m.content),
    ).toEqual(["before", "after"]);
    expect((await store.toolCache.get("t", { a: 1 }))?.hitCount).toBe(1);
    expect(await store.preferences.patch("fu", "a", { k: 1 })).toMatchObject({
      version: 1,
      values: { k: 1 },
    });
    expect(await store.sessions.delete("flush")).toBe(true);
  });

  it("calls for its slots fail with UNAVAILABLE instead of hanging, and work again after it returns", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `s${i}`);
    for (const id of ids) await store.sessions.create({ sessionId: id });
    const victim = cluster.servers[1]!;
    const onVictim: string[] = [];
    for (const id of ids) {
      const reply = await redisCli(victim.port, ["exists", `${keyPrefix}s:{${id}}:meta`]);
      if (reply.trim() === "1") onVictim.push(id);
    }
    expect(onVictim.length).toBeGreaterThan(0);

    await victim.stop({ kill: true });
    const codes = await Promise.all(onVictim.slice(0, 3).map((id) => codeOf(store.sessions.get(id))));
    expect(codes).toEqual(onVictim.slice(0, 3).map(() => "UNAVAILABLE"));

    await victim.start();
    for (const server of cluster.servers) {
      while (!(await clusterOk(server.port))) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Served again by the same store and client, without recreating either. Nothing was persisted on
    // the killed node (no AOF here), so its sessions are gone and create works for them again.
    for (const id of onVictim) {
      expect(await store.sessions.get(id)).toBeNull();
      await store.sessions.create({ sessionId: id });
    }
    for (const id of ids) expect((await store.sessions.get(id))?.sessionId).toBe(id);
  }, 120_000);
});
