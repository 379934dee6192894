import { randomBytes } from "node:crypto";
import { isStateStoreError } from "@agent-state/core";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toDocumentMethods } from "../src/client.js";
import { DynamoStateStore, type RegionEvent, UnsupportedTableModeError } from "../src/index.js";
import { type LocalRegions, startLocalRegions, uniqueTableNames } from "../src/testing/index.js";

/** Polls `check` until it is true (bounded); the tests assert outcomes, never durations. */
async function until(check: () => boolean | Promise<boolean>, what: string, attempts = 2_000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

/** Every item of the tables in one region, as canonical text, sorted (to compare regions). */
async function contents(regions: LocalRegions, index: number): Promise<string[]> {
  const region = regions.regions[index];
  if (region === undefined) throw new Error("no such region");
  const client = new DynamoDBClient(region.clientConfig);
  try {
    const out: string[] = [];
    for (const TableName of Object.values(regions.tables)) {
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName, ConsistentRead: true, ExclusiveStartKey }),
        );
        for (const item of page.Items ?? []) {
          const sorted = Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)));
          out.push(`${TableName} ${JSON.stringify(sorted)}`);
        }
        ExclusiveStartKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (ExclusiveStartKey !== undefined);
    }
    return out.sort();
  } finally {
    client.destroy();
  }
}

function regionStore(regions: LocalRegions, order: number[], events: RegionEvent[] = []): DynamoStateStore {
  return new DynamoStateStore({
    tables: regions.tables,
    regions: order.map((i) => {
      const region = regions.regions[i];
      if (region === undefined) throw new Error("no such region");
      return { region: region.name, clientConfig: { ...region.clientConfig, maxAttempts: 2 } };
    }),
    // A roomy probe timeout: on a loaded machine a slow (not dead) DynamoDB Local must not count as down.
    regionHealth: { probeIntervalMs: 100, probeTimeoutMs: 5_000, recoverAfterMs: 500 },
    onRegionEvent: (event) => events.push(event),
  });
}

// Roomy timeouts: each test starts, stops or restarts JVMs, slow on a loaded machine (no test measures time).
describe("multi-region failover over two DynamoDB Local regions and the stream replicator", {
  timeout: 240_000,
}, () => {
  let regions: LocalRegions;

  beforeAll(async () => {
    regions = await startLocalRegions(["home-1", "away-1"], uniqueTableNames("mr"));
  }, 240_000);
  afterAll(async () => {
    await regions?.dispose();
  });

  it("replicates every kind of item both ways and converges", async () => {
    const home = regionStore(regions, [0, 1]);
    const away = regionStore(regions, [1, 0]);
    try {
      const session = await home.sessions.create({ userId: "u1", state: { n: 1 } });
      await home.sessions.append(session.sessionId, [{ role: "user", content: "hi" }]);
      await away.preferences.set("u1", "agent", { theme: "dark" });
      await away.toolCache.set("search", { q: "x" }, { hits: 3 }, { ttlSeconds: 60 });
      await regions.replicator.caughtUp();
      const fromAway = await away.sessions.get(session.sessionId, { recentMessages: 5 });
      expect(fromAway?.recentMessages?.map((m) => m.content)).toEqual(["hi"]);
      expect(fromAway?.lastActiveRegion).toBe("home-1");
      expect((await home.preferences.get("u1", "agent"))?.values).toEqual({ theme: "dark" });
      expect((await home.toolCache.get("search", { q: "x" }))?.value).toEqual({ hits: 3 });
      await regions.replicator.caughtUp();
      expect(await contents(regions, 0)).toEqual(await contents(regions, 1));
      expect(regions.replicator.stats().applied).toBeGreaterThan(0);
    } finally {
      await home.close();
      await away.close();
    }
  });

  it("concurrent writers in both regions: conditions are local, the later write wins per item, messages are the union", async () => {
    const home = regionStore(regions, [0, 1]);
    const away = regionStore(regions, [1, 0]);
    regions.replicator.pause();
    try {
      const session = await home.sessions.create({ state: { by: "nobody" } });
      await home.toolCache.set("t", { p: 1 }, "v", { ttlSeconds: 60 });
      await home.preferences.set("u2", "a", { a: 0, b: 0 });
      await regions.replicator.caughtUp();
      regions.replicator.pause();
      // A split: both regions accept the same expectedVersion, both append, both count hits and patch.
      const a = await home.sessions.update(
        session.sessionId,
        { state: { by: "home" } },
        { expectedVersion: 1 },
      );
      await home.sessions.append(session.sessionId, [
        { role: "user", content: "h1" },
        { role: "user", content: "h2" },
      ]);
      await home.toolCache.get("t", { p: 1 });
      await home.preferences.patch("u2", "a", { a: 1 });
      const b = await away.sessions.update(
        session.sessionId,
        { state: { by: "away" } },
        { expectedVersion: 1 },
      );
      await away.sessions.append(session.sessionId, [{ role: "user", content: "a1" }]);
      await away.toolCache.get("t", { p: 1 });
      await away.preferences.patch("u2", "a", { b: 1 });
      expect([a.version, b.version]).toEqual([2, 2]);
      await regions.replicator.caughtUp();
      expect(await contents(regions, 0)).toEqual(await contents(regions, 1));

      for (const store of [home, away]) {
        const got = await store.sessions.get(session.sessionId);
        // The away writes came last: its meta item (state, version, count) won everywhere.
        expect(got?.state).toEqual({ by: "away" });
        expect(got?.version).toBe(2);
        expect(got?.lastActiveRegion).toBe("away-1");
        expect(got?.messageCount).toBe(1);
        // Message items have distinct keys: all three survive, each region's in its append order.
        const page = await store.sessions.messages(session.sessionId, { limit: 10 });
        expect(page.items.map((m) => m.content)).toEqual(["h1", "h2", "a1"]);
        expect(new Set(page.items.map((m) => m.id)).size).toBe(3);
        // One region's counter and patch survive, not the sum.
        expect((await store.toolCache.get("t", { p: 1 }))?.hitCount).toBeGreaterThanOrEqual(2);
        expect((await store.preferences.get("u2", "a"))?.values).toEqual({ a: 0, b: 1 });
      }
    } finally {
      regions.replicator.resume();
      await home.close();
      await away.close();
    }
  });

  it("home dies mid-conversation: appends continue in the other region, nothing acknowledged is lost, failback", async () => {
    const events: RegionEvent[] = [];
    const store = regionStore(regions, [0, 1], events);
    const acknowledged: string[] = [];
    try {
      const session = await store.sessions.create({ userId: "ada" });
      for (let i = 1; i <= 3; i++) {
        const [m] = await store.sessions.append(session.sessionId, { role: "user", content: `turn ${i}` });
        if (m !== undefined) acknowledged.push(m.content);
      }
      await regions.replicator.caughtUp();
      // Two more turns acknowledged by home but not yet replicated when it dies.
      regions.replicator.pause();
      for (let i = 4; i <= 5; i++) {
        const [m] = await store.sessions.append(session.sessionId, {
          role: "assistant",
          content: `turn ${i}`,
        });
        if (m !== undefined) acknowledged.push(m.content);
      }
      await regions.regions[0]?.stop();

      let unavailable = 0;
      for (let i = 6; i <= 10; i++) {
        try {
          const [m] = await store.sessions.append(session.sessionId, { role: "user", content: `turn ${i}` });
          if (m !== undefined) acknowledged.push(m.content);
        } catch (error) {
          if (!isStateStoreError(error) || error.code !== "UNAVAILABLE") throw error;
          unavailable++;
        }
      }
      // A refused connection never reaches home, so such appends go to the other region. The one exception
      // is the first append after the death when it meets a kept-alive socket to the dead process: the reset
      // comes after the request was written, the client cannot tell it from a lost reply, and an unknown
      // outcome is UNAVAILABLE by design (never re-sent). That marks home down, so at most one append fails.
      expect(unavailable).toBeLessThanOrEqual(1);
      expect(acknowledged).toHaveLength(10 - unavailable);
      expect(store.currentRegion).toBe("away-1");
      expect(store.regionStatus()).toEqual([
        { region: "home-1", up: false },
        { region: "away-1", up: true },
      ]);
      const during = await store.sessions.get(session.sessionId);
      expect(during?.lastActiveRegion).toBe("away-1");
      expect(events.some((e) => e.type === "switched" && e.to === "away-1" && e.kind === "failover")).toBe(
        true,
      );

      await regions.regions[0]?.restart();
      regions.replicator.resume();
      await until(() => store.currentRegion === "home-1", "failback to home");
      expect(events.some((e) => e.type === "switched" && e.to === "home-1" && e.kind === "failback")).toBe(
        true,
      );
      await regions.replicator.caughtUp();
      const [last] = await store.sessions.append(session.sessionId, { role: "user", content: "turn 11" });
      if (last !== undefined) acknowledged.push(last.content);
      const afterFailback = await store.sessions.get(session.sessionId);
      expect(afterFailback?.lastActiveRegion).toBe("home-1");
      await regions.replicator.caughtUp();

      expect(acknowledged).toHaveLength(11 - unavailable);
      for (const index of [0, 1]) {
        const reader = regionStore(regions, [index]);
        try {
          const page = await reader.sessions.messages(session.sessionId, { limit: 50 });
          expect(page.items.map((m) => m.content)).toEqual(acknowledged);
        } finally {
          await reader.close();
        }
      }
      expect(await contents(regions, 0)).toEqual(await contents(regions, 1));
    } finally {
      regions.replicator.resume();
      if (regions.regions[0]?.running === false) await regions.regions[0].restart();
      await store.close();
    }
  });

  it("a write whose outcome is unknown is not re-sent to another region: UNAVAILABLE", async () => {
    const events: RegionEvent[] = [];
    // Home accepts connections and never answers; the write times out there.
    const { createServer } = await import("node:net");
    const sockets: import("node:net").Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const away = regions.regions[1];
    if (away === undefined) throw new Error("no away region");
    const direct = regionStore(regions, [1]);
    const session = await direct.sessions.create({});
    const store = new DynamoStateStore({
      tables: regions.tables,
      regions: [
        {
          region: "silent-1",
          clientConfig: {
            ...away.clientConfig,
            endpoint: `http://127.0.0.1:${port}`,
            maxAttempts: 1,
            requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
          },
        },
        { region: away.name, clientConfig: away.clientConfig },
      ],
      regionHealth: { probeIntervalMs: 60_000, probeTimeoutMs: 500, recoverAfterMs: 60_000 },
      onRegionEvent: (event) => events.push(event),
    });
    try {
      const error = await store.sessions.update(session.sessionId, { state: { x: 1 } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isStateStoreError(error) && error.code).toBe("UNAVAILABLE");
      expect(events.filter((e) => e.type === "write-outcome-unknown")).toHaveLength(1);
      // Not applied in the other region.
      expect((await direct.sessions.get(session.sessionId))?.version).toBe(1);
      // The next call goes to the other region.
      expect(store.currentRegion).toBe(away.name);
      expect((await store.sessions.update(session.sessionId, { state: { x: 2 } })).version).toBe(2);
    } finally {
      await store.close();
      await direct.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it("a large value's head is never committed in another region than its chunks", async () => {
    const [home, away] = regions.regions;
    if (home === undefined || away === undefined) throw new Error("no regions");
    const direct = regionStore(regions, [1]);
    const session = await direct.sessions.create({});
    const homeClient = new DynamoDBClient(home.clientConfig);
    const real = toDocumentMethods(DynamoDBDocumentClient.from(homeClient));
    let refuse = false;
    // Home "dies" between the chunk writes and the transaction that commits the head (a refused connection).
    const dying = {
      ...real,
      transactWrite: async (input: Parameters<typeof real.transactWrite>[0]) => {
        if (refuse) {
          throw Object.assign(new Error("connect ECONNREFUSED"), {
            code: "ECONNREFUSED",
            $metadata: { attempts: 1 },
          });
        }
        return real.transactWrite(input);
      },
    };
    const store = new DynamoStateStore({
      tables: regions.tables,
      regions: [
        { region: home.name, client: dying },
        { region: away.name, clientConfig: away.clientConfig },
      ],
      regionHealth: { probeIntervalMs: 60_000, probeTimeoutMs: 500, recoverAfterMs: 60_000 },
    });
    const content = randomBytes(600_000).toString("base64");
    try {
      refuse = true;
      const error = await store.sessions.append(session.sessionId, { role: "tool", content }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isStateStoreError(error) && error.code).toBe("UNAVAILABLE");
      expect((await direct.sessions.messages(session.sessionId)).items).toHaveLength(0);
      // The caller's retry writes chunks and head in the region now serving.
      const [message] = await store.sessions.append(session.sessionId, { role: "tool", content });
      expect(store.currentRegion).toBe(away.name);
      const stored = await direct.sessions.messages(session.sessionId);
      expect(stored.items.map((m) => [m.id, m.content === content])).toEqual([[message?.id, true]]);
    } finally {
      await store.close();
      await direct.close();
      homeClient.destroy();
    }
  });

  it("refuses multi-region strong consistency with a typed error", () => {
    expect(
      () =>
        new DynamoStateStore({
          regions: [{ region: "r-1", clientConfig: { region: "r-1" } }],
          multiRegionConsistency: "STRONG",
        }),
    ).toThrow(UnsupportedTableModeError);
  });
});
