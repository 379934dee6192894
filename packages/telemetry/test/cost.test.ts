import { attachCostCounter } from "@agent-state/dynamodb/testing";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { formatCostReport, projectMonthlyCost, type UsageSnapshot, withTelemetry } from "../src/index.js";
import { openStore } from "./support/backends.js";

const HOUR_MS = 3_600_000;
const collections = { sessions: "s", toolCache: "c", preferences: "p", records: "s" };

function usage(overrides: Partial<UsageSnapshot> = {}): UsageSnapshot {
  return {
    startedAt: 0,
    endedAt: HOUR_MS,
    calls: {},
    capacity: [
      { table: "s", operation: "sessions.append", requests: 10, readUnits: 0, writeUnits: 40 },
      { table: "s", operation: "sessions.get", requests: 20, readUnits: 10, writeUnits: 0 },
      { table: "c", operation: "toolCache.get", requests: 5, readUnits: 2.5, writeUnits: 5 },
    ],
    toolCache: { hits: 5, misses: 0 },
    readsServed: { l1: 0, dax: 0, dynamodb: 0 },
    sessionReads: { total: 20, peakPerSecondPerSession: 12, repeatReads: 15 },
    failovers: 0,
    throttles: 0,
    retries: 0,
    ...overrides,
  };
}

const GB = 1024 ** 3;
const deployment = { replicaRegions: 2, storageBytes: { s: 2 * GB, c: 1 * GB } };

describe("projectMonthlyCost: the design's cost table from measurements", () => {
  it("has a records line when records have a table of their own, and none when they share the sessions table", () => {
    const capacity = [
      ...usage().capacity,
      { table: "r", operation: "records.write", requests: 8, readUnits: 0, writeUnits: 16 },
    ];
    const own = projectMonthlyCost({
      usage: usage({ capacity }),
      collections: { ...collections, records: "r" },
    });
    expect(own.rows.map((r) => r.item)).toEqual([
      "sessions",
      "tool cache",
      "preferences",
      "records",
      "Global Tables replication",
      "DAX",
    ]);
    expect(own.rows[3]?.monthlyUsd).toBeCloseTo(16 * 0.625e-6 * 730, 9);
    expect(own.tables.map((t) => t.table)).toEqual(["s", "c", "p", "r"]);
    const shared = projectMonthlyCost({ usage: usage(), collections });
    expect(shared.rows.map((r) => r.item)).not.toContain("records");
  });
  it("matches a hand-computed month (us-east-1, 2 replicas, 1 hour measured → × 730)", () => {
    const report = projectMonthlyCost({ usage: usage(), collections, deployment });
    // sessions: 10 RRU × $0.125/M × 730 + 40 WRU × $0.625/M × 730 + 2 GB × $0.25 × 3 copies
    const sessions = 10 * 0.125e-6 * 730 + 40 * 0.625e-6 * 730 + 2 * 0.25 * 3;
    const toolCache = 2.5 * 0.125e-6 * 730 + 5 * 0.625e-6 * 730 + 1 * 0.25 * 3;
    const replication = 45 * 2 * 0.625e-6 * 730;
    expect(report.rows.map((r) => r.item)).toEqual([
      "sessions",
      "tool cache",
      "preferences",
      "Global Tables replication",
      "DAX",
    ]);
    expect(report.rows[0]?.monthlyUsd).toBeCloseTo(sessions, 9);
    expect(report.rows[1]?.monthlyUsd).toBeCloseTo(toolCache, 9);
    expect(report.rows[2]?.monthlyUsd).toBe(0);
    expect(report.rows[3]?.monthlyUsd).toBeCloseTo(replication, 9);
    expect(report.rows[4]?.monthlyUsd).toBe(0);
    expect(report.totalWithoutDaxUsd).toBeCloseTo(sessions + toolCache + replication, 9);
    expect(report.monthlyUsd).toBe(report.totalWithoutDaxUsd);
    // 15 of 20 session reads were repeats: a cache saves 75 % of the sessions table's reads; 3 × dax.t3.small.
    const savings = 0.75 * 10 * 0.125e-6 * 730;
    expect(report.totalWithDaxUsd).toBeCloseTo(
      sessions + toolCache + replication - savings + 3 * 0.04 * 730,
      9,
    );
    expect(report.advice).toMatchObject({
      verdict: "dax-not-needed",
      peakReadsPerSecondPerSession: 12,
      thresholdReadsPerSecond: 1000,
      cacheableReadShare: 0.75,
      daxMonthlyUsd: 87.6,
    });
    expect(report.advice.readSavingsUsd).toBeCloseTo(savings, 12);
    expect(report.advice.reason).toContain("$87.60/month");
    expect(report.operations.find((o) => o.operation === "sessions.append")?.monthlyUsd).toBeCloseTo(
      40 * 0.625e-6 * 730,
      12,
    );
  });

  it("add DAX above 1,000 reads/s per session; not paying when deployed and the savings are below its cost", () => {
    const hot = projectMonthlyCost({
      usage: usage({ sessionReads: { total: 5_000, peakPerSecondPerSession: 1_500, repeatReads: 4_000 } }),
      collections,
    });
    expect(hot.advice.verdict).toBe("add-dax");
    expect(hot.advice.reason).toContain("peak 1500 reads/s per session (rule: > 1000)");

    const deployed = projectMonthlyCost({
      usage: usage({ readsServed: { l1: 5, dax: 10, dynamodb: 5 } }),
      collections,
      deployment: { ...deployment, dax: { nodeType: "dax.t3.small", nodes: 3 } },
    });
    expect(deployed.advice).toMatchObject({
      verdict: "dax-not-paying",
      cacheableReadShare: 0.75,
      deployed: true,
    });
    // The measured reads are what DynamoDB still served (5 of 20): the cached 15 come back at the same cost each.
    expect(deployed.advice.readSavingsUsd).toBeCloseTo(3 * 10 * 0.125e-6 * 730, 12);
    expect(deployed.rows[4]?.monthlyUsd).toBeCloseTo(87.6, 9);
    expect(deployed.monthlyUsd).toBe(deployed.totalWithDaxUsd);

    const paying = projectMonthlyCost({
      usage: usage(),
      collections,
      prices: { readRequestUnitUsd: 1 }, // absurd reads price: caching 75 % of them beats the cluster
    });
    expect(paying.advice.verdict).toBe("add-dax");
  });

  it("prices are overridable; an unknown region or node type is a VALIDATION error", () => {
    const report = projectMonthlyCost({
      usage: usage(),
      collections,
      deployment: { region: "eu-west-1", dax: { nodeType: "dax.r5.large", nodes: 3 } },
      prices: {
        writeRequestUnitUsd: 1e-6,
        readRequestUnitUsd: 2e-7,
        replicatedWriteRequestUnitUsd: 1e-6,
        storageGbMonthUsd: 0.3,
        daxNodeHourUsd: { "dax.r5.large": 0.3 },
      },
    });
    expect(report.rows[4]?.monthlyUsd).toBeCloseTo(3 * 0.3 * 730, 9);
    expect(() =>
      projectMonthlyCost({ usage: usage(), collections, deployment: { region: "eu-west-1" } }),
    ).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() =>
      projectMonthlyCost({
        usage: usage(),
        collections,
        deployment: { dax: { nodeType: "dax.r5.large", nodes: 3 } },
      }),
    ).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(formatCostReport(report)).toContain("total with DAX");
  });

  it("a measured DynamoDB Local sequence projects to the hand-computed figure of its billed units", async () => {
    const opened = await openStore("dynamodb");
    const counter = attachCostCounter(opened.low as DynamoDBClient);
    let now = 1_000_000;
    const store = withTelemetry(opened.store, { now: () => now });
    try {
      const { sessionId } = await store.sessions.create({ state: { step: 0 } });
      await store.sessions.update(sessionId, { state: { step: 1 } });
      await store.sessions.get(sessionId);
      await store.toolCache.set("t", { q: 1 }, { r: "x".repeat(5_000) }, { ttlSeconds: 60 });
      await store.toolCache.get("t", { q: 1 });
      now += HOUR_MS;
      const billed = counter.snapshot();
      const report = projectMonthlyCost({ usage: store.usage(), collections: store.collections });
      const expected = (billed.readUnits * 0.125e-6 + billed.writeUnits * 0.625e-6) * 730;
      expect(billed.readUnits + billed.writeUnits).toBeGreaterThan(0);
      expect(report.totalWithoutDaxUsd).toBeCloseTo(expected, 12);
    } finally {
      await store.close();
      await opened.dispose();
    }
  });
});
