import { DynamoStateStore, type TableNames } from "@agent-state/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ATTR, METRICS, type TelemetryStateStore, withTelemetry } from "../src/index.js";
import { type OpenedStore, openStore } from "./support/backends.js";
import { type OtelHarness, otelHarness } from "./support/otel.js";

describe("withTelemetry over withDax (DAX double): where reads were served", () => {
  let otel: OtelHarness;
  let opened: OpenedStore;
  let store: TelemetryStateStore;
  beforeEach(async () => {
    otel = otelHarness();
    opened = await openStore("dax");
    store = withTelemetry(opened.store, {
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
  });
  afterEach(async () => {
    await store.close();
    await opened.dispose();
    await otel.shutdown();
  });

  it("own write → DynamoDB; another process's session → DAX, then the in-process cache", async () => {
    // Written through this decorator: its reads bypass DAX within the DAX TTL window (read-your-writes).
    const { sessionId } = await store.sessions.create();
    await store.sessions.get(sessionId);
    // Written by another process (straight to DynamoDB): read through DAX, then answered by the L1.
    const other = new DynamoStateStore({
      client: DynamoDBDocument.from(opened.low as DynamoDBClient),
      tables: opened.tables as TableNames,
    });
    const { sessionId: foreign } = await other.sessions.create();
    await store.sessions.get(foreign);
    await store.sessions.get(foreign);
    expect(store.usage().readsServed).toEqual({ l1: 1, dax: 1, dynamodb: 1 });
    for (const [source, count] of [
      ["l1", 1],
      ["dax", 1],
      ["dynamodb", 1],
    ] as const) {
      expect(await otel.counter(METRICS.readsServed, { [ATTR.readSource]: source })).toBe(count);
    }
    // The session reads per second per session, and the repeat read a cache serves.
    expect(store.usage().sessionReads).toMatchObject({ total: 3, repeatReads: 1 });
  });
});
