import { attachCostCounter } from "@agent-state/dynamodb/testing";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { ATTR, METRICS } from "../src/index.js";
import { useTelemetryStore } from "./support/fixture.js";
import { spanData } from "./support/otel.js";

/** What DynamoDB Local itself reported, request by request (its `ConsumedCapacity`), and the failed conditions. */
function localReports(low: DynamoDBClient) {
  const seen = { requests: 0, units: 0, failedConditions: 0 };
  low.middlewareStack.add(
    (next) => async (args) => {
      seen.requests++;
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const list = (
          Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]
        ) as Array<{
          CapacityUnits?: number;
        }>;
        for (const entry of list) seen.units += entry.CapacityUnits ?? 0;
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === "ConditionalCheckFailedException") seen.failedConditions++;
        throw error;
      }
    },
    // After the store's own request layer set ReturnConsumedCapacity; before the SDK serializes.
    { step: "initialize", name: "localReports" },
  );
  return seen;
}

describe("capacity: what the DynamoDB backend reports is what DynamoDB Local reported", () => {
  const fx = useTelemetryStore("dynamodb");

  it("a known sequence: units and requests per call equal Local's ConsumedCapacity, plus 1 WCU per failed condition", async () => {
    const low = fx.opened.low as DynamoDBClient;
    const local = localReports(low);
    const counter = attachCostCounter(low);
    const { sessionId } = await fx.store.sessions.create({ userId: "u", state: { step: 0 } });
    await fx.store.sessions.update(sessionId, { state: { step: 1, notes: "n".repeat(3_000) } });
    const conflict = await fx.store.sessions
      .update(sessionId, { state: { step: 2 } }, { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect((conflict as { code?: string }).code).toBe("VERSION_CONFLICT");
    await fx.store.sessions.get(sessionId);
    await fx.store.toolCache.set("search", { q: "x" }, { text: "r".repeat(9_000) }, { ttlSeconds: 600 });
    await fx.store.toolCache.get("search", { q: "x" });
    await fx.store.preferences.set("u", "agent", { theme: "dark" });

    const usage = fx.store.usage();
    const read = usage.capacity.reduce((sum, c) => sum + c.readUnits, 0);
    const write = usage.capacity.reduce((sum, c) => sum + c.writeUnits, 0);
    const requests = usage.capacity.reduce((sum, c) => sum + c.requests, 0);
    expect(local.failedConditions).toBeGreaterThanOrEqual(1); // the version conflict (and any the store expects)
    expect(read + write).toBe(local.units + local.failedConditions);
    expect(requests).toBe(local.requests);
    // No transaction in this sequence, so the billing-corrected counter agrees exactly, read and write.
    const billed = counter.snapshot();
    expect({ read, write, requests }).toEqual({
      read: billed.readUnits,
      write: billed.writeUnits,
      requests: billed.requests,
    });

    // Each call's span carries what its own requests consumed; the metric has them per table and operation.
    const spans = (await fx.otel.spans()).map(spanData);
    const update = spans.filter((s) => s.attributes[ATTR.operation] === "sessions.update");
    expect(update[1]?.attributes[ATTR.errorType]).toBe("VERSION_CONFLICT");
    expect(update[1]?.attributes[ATTR.writeUnits]).toBe(1);
    expect(update[1]?.attributes[ATTR.requests]).toBe(1);
    const set = spans.find((s) => s.attributes[ATTR.operation] === "toolCache.set");
    const setUsage = usage.capacity.filter((c) => c.operation === "toolCache.set");
    expect(set?.attributes[ATTR.writeUnits]).toBe(setUsage.reduce((sum, c) => sum + c.writeUnits, 0));
    expect(setUsage.every((c) => c.table === fx.opened.tables?.toolCache)).toBe(true);
    const metricWrite = await fx.otel.counter(METRICS.capacity, { [ATTR.capacityType]: "write" });
    const metricRead = await fx.otel.counter(METRICS.capacity, { [ATTR.capacityType]: "read" });
    expect({ metricRead, metricWrite }).toEqual({ metricRead: read, metricWrite: write });
    expect(await fx.otel.counter(METRICS.requests)).toBe(requests);
  });

  it("an append's extra items (message, meta, idempotency) are all reported on its span", async () => {
    const low = fx.opened.low as DynamoDBClient;
    const local = localReports(low);
    const { sessionId } = await fx.store.sessions.create();
    const before = { ...local };
    await fx.store.sessions.append(
      sessionId,
      { role: "user", content: "x".repeat(1_500) },
      { idempotencyKey: "k1" },
    );
    const spans = (await fx.otel.spans()).map(spanData);
    const append = spans.find((s) => s.attributes[ATTR.operation] === "sessions.append");
    expect(append?.attributes[ATTR.requests]).toBe(local.requests - before.requests);
    expect(append?.attributes[ATTR.writeUnits]).toBe(local.units - before.units);
    expect(append?.attributes[ATTR.writeUnits]).toBeGreaterThanOrEqual(2);
  });

  it("without telemetry the store sends exactly what it sent before (no ReturnConsumedCapacity, no extra request)", async () => {
    await fx.store.close();
    const low = fx.opened.low as DynamoDBClient;
    const inputs: Array<Record<string, unknown>> = [];
    low.middlewareStack.add(
      (next) => async (args) => {
        inputs.push({ ...(args.input as Record<string, unknown>) });
        return next(args);
      },
      { step: "initialize", name: "inputs" },
    );
    const { sessionId } = await fx.opened.store.sessions.create();
    await fx.opened.store.sessions.get(sessionId);
    expect(inputs).toHaveLength(2);
    expect(inputs.every((input) => input.ReturnConsumedCapacity === undefined)).toBe(true);
  });

  it("throttling and the SDK's retries are counted (DynamoDB Local never throttles: the first attempts are refused here)", async () => {
    const low = fx.opened.low as DynamoDBClient;
    let refuse = 0;
    low.middlewareStack.add(
      (next) => async (args) => {
        if (refuse > 0) {
          refuse--;
          throw Object.assign(new Error("throttled (injected)"), {
            name: "ProvisionedThroughputExceededException",
            $fault: "client",
            $metadata: {},
          });
        }
        return next(args);
      },
      // Inside the SDK's retry loop: each attempt passes here.
      { step: "deserialize", name: "injectThrottling" },
    );
    const { sessionId } = await fx.store.sessions.create();
    refuse = 1; // refused once, then answered: one retry
    await fx.store.sessions.get(sessionId);
    expect(fx.store.usage()).toMatchObject({ retries: 1, throttles: 0 });
    refuse = 10; // refused on every attempt: the call fails THROTTLED, one throttled request
    const error = await fx.store.sessions.get(sessionId).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("THROTTLED");
    const usage = fx.store.usage();
    expect(usage.throttles).toBe(1);
    expect(usage.retries).toBeGreaterThan(1);
    expect(await fx.otel.counter(METRICS.throttles, { [ATTR.operation]: "sessions.get" })).toBe(1);
    expect(await fx.otel.counter(METRICS.retries)).toBe(usage.retries);
  });
});
