import { DynamoStateStore, type TableNames } from "@agent-state/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { ATTR, METRICS } from "../src/index.js";
import { useTelemetryStore } from "./support/fixture.js";

describe("withTelemetry over withDax (DAX double): where reads were served", () => {
  const fx = useTelemetryStore("dax");

  it("own write → DynamoDB; another process's session → DAX, then the in-process cache", async () => {
    // Written through this decorator: its reads bypass DAX within the DAX TTL window (read-your-writes).
    const { sessionId } = await fx.store.sessions.create();
    await fx.store.sessions.get(sessionId);
    // Written by another process (straight to DynamoDB): read through DAX, then answered by the L1.
    const other = new DynamoStateStore({
      client: DynamoDBDocument.from(fx.opened.low as DynamoDBClient),
      tables: fx.opened.tables as TableNames,
    });
    const { sessionId: foreign } = await other.sessions.create();
    await fx.store.sessions.get(foreign);
    await fx.store.sessions.get(foreign);
    expect(fx.store.usage().readsServed).toEqual({ l1: 1, dax: 1, dynamodb: 1 });
    for (const [source, count] of [
      ["l1", 1],
      ["dax", 1],
      ["dynamodb", 1],
    ] as const) {
      expect(await fx.otel.counter(METRICS.readsServed, { [ATTR.readSource]: source })).toBe(count);
    }
    // The session reads per second per session, and the repeat read a cache serves.
    expect(fx.store.usage().sessionReads).toMatchObject({ total: 3, repeatReads: 1 });
  });
});
