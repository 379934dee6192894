import { DynamoStateStore } from "@agent-state/dynamodb";
import { type LocalRegions, startLocalRegions, uniqueTableNames } from "@agent-state/dynamodb/testing";
import type { Session } from "@google/adk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentStateSessionService } from "../src/index.js";
import { event, key } from "./support.js";

// Two DynamoDB Local processes as the regions of a Global Table, with the store's stream replicator between
// them (roomy timeouts: starting JVMs is slow on a loaded machine; no test measures time).
describe("AgentStateSessionService on a multi-region DynamoDB store", { timeout: 240_000 }, () => {
  let regions: LocalRegions;
  const stores: DynamoStateStore[] = [];
  const open = (order: number[]) => {
    const store = new DynamoStateStore({
      tables: regions.tables,
      regions: order.map((i) => {
        const region = regions.regions[i];
        if (region === undefined) throw new Error("no such region");
        return { region: region.name, clientConfig: region.clientConfig };
      }),
    });
    stores.push(store);
    return new AgentStateSessionService(store);
  };

  beforeAll(async () => {
    regions = await startLocalRegions(["home-1", "away-1"], uniqueTableNames("adk-mr"));
  }, 240_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await regions?.dispose();
  });

  it("a session written in one region is resumed and continued in the other", async () => {
    const home = open([0, 1]);
    const away = open([1, 0]);
    const session = await home.createSession({ ...key, state: { "user:lang": "en" } });
    await home.appendEvent({ session, event: event("h1", { step: 1, "app:flag": true }) });
    await regions.replicator.caughtUp();

    const there = (await away.getSession(key)) as Session;
    expect(there.events.map((e) => e.id)).toStrictEqual(["h1"]);
    expect(there.state).toStrictEqual({ step: 1, "app:flag": true, "user:lang": "en" });
    await away.appendEvent({ session: there, event: event("a1", { step: 2 }) });
    await regions.replicator.caughtUp();

    const back = (await home.getSession(key)) as Session;
    expect(back.events.map((e) => e.id)).toStrictEqual(["h1", "a1"]);
    expect(back.state).toStrictEqual({ step: 2, "app:flag": true, "user:lang": "en" });
    // The home object is now stale: refused, as within one region.
    await expect(home.appendEvent({ session, event: event("h2") })).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
  });
});
