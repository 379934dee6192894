import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisServerHandle, redisCli, startRedisServer } from "./redis-server.js";

/** A Redis Cluster of master-only nodes this process started. */
export interface RedisClusterHandle {
  readonly nodes: { host: string; port: number }[];
  readonly servers: RedisServerHandle[];
  /** Stops every node by pid and removes their directory. */
  destroy(): Promise<void>;
}

/**
 * Starts `masters` (default 3) cluster-enabled redis-servers on free ports, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0` and waits until every node reports cluster_state:ok.
 */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "agent-state-redis-cluster-"));
  const servers: RedisServerHandle[] = [];
  const destroy = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) servers.push(await startRedisServer({ dir, clusterEnabled: true }));
    const addresses = servers.map((server) => `${server.host}:${server.port}`);
    await redisCli(servers[0]!.port, [
      "--cluster",
      "create",
      ...addresses,
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const server of servers) {
      for (let i = 0; ; i++) {
        const info = await redisCli(server.port, ["cluster", "info"]);
        if (info.includes("cluster_state:ok")) break;
        if (i > 200) throw new Error(`cluster node ${server.port} never reached cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return { nodes: servers.map(({ host, port }) => ({ host, port })), servers, destroy };
}
