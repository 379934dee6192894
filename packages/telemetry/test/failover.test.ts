import { isStateStoreError } from "@agent-state/core";
import { DynamoStateStore } from "@agent-state/dynamodb";
import { type LocalRegions, startLocalRegions, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTR, METRICS, withTelemetry } from "../src/index.js";
import { otelHarness } from "./support/otel.js";

// Two DynamoDB Local "regions": starting and stopping JVMs is slow on a loaded machine (nothing measures time).
describe("withTelemetry over a multi-region DynamoDB store: a region failover is counted", {
  timeout: 240_000,
}, () => {
  let regions: LocalRegions;
  beforeAll(async () => {
    regions = await startLocalRegions(["home-1", "away-1"], uniqueTableNames("tel-mr"));
  }, 240_000);
  afterAll(async () => {
    await regions?.dispose();
  });

  it("home dies: one failover from home-1 to away-1 in usage() and agent_state.region.failovers", async () => {
    const otel = otelHarness();
    const dynamo = new DynamoStateStore({
      tables: regions.tables,
      regions: regions.regions.map((r) => ({
        region: r.name,
        clientConfig: { ...r.clientConfig, maxAttempts: 2 },
      })),
      regionHealth: { probeIntervalMs: 100, probeTimeoutMs: 5_000, recoverAfterMs: 500 },
    });
    const store = withTelemetry(dynamo, {
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    try {
      const { sessionId } = await store.sessions.create();
      // The session must have reached the other region before home dies (replication is asynchronous).
      await regions.replicator.caughtUp();
      await regions.regions[0]?.stop();
      for (let i = 0; i < 5 && dynamo.currentRegion !== "away-1"; i++) {
        await store.sessions
          .append(sessionId, { role: "user", content: `turn ${i}` })
          .catch((error: unknown) => {
            // At most the first append after the death meets a kept-alive socket: an unknown outcome.
            if (!isStateStoreError(error, "UNAVAILABLE")) throw error;
          });
      }
      expect(dynamo.currentRegion).toBe("away-1");
      expect(store.usage().failovers).toBe(1);
      expect(
        await otel.counter(METRICS.failovers, { [ATTR.fromRegion]: "home-1", [ATTR.toRegion]: "away-1" }),
      ).toBe(1);
    } finally {
      await store.close();
      await regions.regions[0]?.restart();
      await otel.shutdown();
    }
  });
});
