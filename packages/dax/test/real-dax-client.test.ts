import { pickFreePort } from "@agent-state/dynamodb-local";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaxEvent, withDax } from "../src/index.js";
import { countRequests, localClient } from "./support/dynamo.js";
import { freshDynamoStore, sameTablesStore } from "./support/stores.js";

/**
 * The real `@amazon-dax-sdk/lib-dax` client, pointed at 127.0.0.1 on a port nothing listens on: every read must
 * still be answered (from DynamoDB Local), no read may wait on DAX past timeoutMs, and the breaker must open.
 */
describe("withDax with the real DAX SDK client and an unreachable cluster", () => {
  const client = localClient(inject("dynamoEndpoint"));
  const requests = countRequests(client);
  let drop: () => Promise<void>;
  let tables: Awaited<ReturnType<typeof freshDynamoStore>>["tables"];
  let sessionId = "";
  let deadEndpoint = "";

  beforeAll(async () => {
    const fresh = await freshDynamoStore(client, Date.now);
    ({ tables, drop } = fresh);
    ({ sessionId } = await fresh.store.sessions.create({ userId: "real", state: { from: "dynamodb" } }));
    await fresh.store.sessions.append(sessionId, { role: "user", content: "hi" });
    await fresh.store.preferences.set("real", "agent", { lang: "en" });
    deadEndpoint = `dax://127.0.0.1:${await pickFreePort()}`;
  });
  afterAll(async () => {
    await drop();
    client.destroy();
  });

  it("answers from DynamoDB, opens the breaker, and probes again after the cool-down", async () => {
    let cacheNowMs = 1_000_000;
    const events: DaxEvent[] = [];
    const ourWarningListener = () => {};
    process.on("warning", ourWarningListener);
    const store = withDax(sameTablesStore(client, tables, Date.now), {
      endpoints: [deadEndpoint],
      region: "us-east-1",
      timeoutMs: 300,
      l1: false,
      breaker: { failureThreshold: 3, coolDownMs: 60_000 },
      cacheClock: () => cacheNowMs,
      onEvent: (event) => events.push(event),
    });
    try {
      requests.reset();
      for (let i = 0; i < 3; i++) {
        const session = await store.sessions.get(sessionId, { recentMessages: 5 });
        expect(session?.state).toEqual({ from: "dynamodb" });
        expect(session?.recentMessages?.map((m) => m.content)).toEqual(["hi"]);
      }
      // Each of the three reads tried DAX once, gave up (error or timeoutMs), and read DynamoDB once.
      expect(store.daxStats()).toMatchObject({
        daxFailures: 3,
        fallbacks: 3,
        daxReads: 0,
        breakerState: "open",
      });
      expect(requests.total).toBe(3);
      const fallbacks = events.filter((e) => e.type === "fallback");
      expect(
        fallbacks.every((e) => e.type === "fallback" && (e.reason === "timeout" || e.reason === "error")),
      ).toBe(true);

      // Open: DAX is not tried at all.
      expect((await store.preferences.get("real", "agent"))?.values).toEqual({ lang: "en" });
      expect((await store.sessions.listByUser("real")).items).toHaveLength(1);
      expect(store.daxStats()).toMatchObject({ daxFailures: 3, fallbacks: 5 });
      expect(events.at(-1)).toMatchObject({ type: "fallback", reason: "breaker-open" });

      // After the cool-down one read probes DAX (still unreachable), the breaker opens again.
      cacheNowMs += 60_000;
      expect((await store.sessions.messages(sessionId)).items).toHaveLength(1);
      expect(store.daxStats()).toMatchObject({ daxFailures: 4, breakerState: "open" });
      expect(
        events.filter((e) => e.type === "breaker").map((e) => (e.type === "breaker" ? e.state : "")),
      ).toEqual(["open", "half-open", "open"]);
    } finally {
      // close() waits for a client still being built (loading the SDK alone takes ~0.6 s) and shuts it down.
      await store.close();
    }
    expect(events.filter((e) => e.type === "client-created")).toHaveLength(1);
    // Loading the SDK removed every 'warning' listener; the decorator put them back.
    expect(process.listeners("warning")).toContain(ourWarningListener);
    process.off("warning", ourWarningListener);
  });

  it("sends a write that cannot reach DAX to DynamoDB, once", async () => {
    const events: DaxEvent[] = [];
    const store = withDax(sameTablesStore(client, tables, Date.now), {
      endpoints: [deadEndpoint],
      region: "us-east-1",
      timeoutMs: 300,
      onEvent: (event) => events.push(event),
    });
    try {
      const updated = await store.sessions.update(sessionId, { state: { from: "dynamodb", written: 1 } });
      const again = await store.sessions.update(sessionId, { state: { from: "dynamodb", written: 2 } });
      expect(again.version).toBe(updated.version + 1);
      // Never sent (no route, or the client not there within timeoutMs): each went to DynamoDB instead.
      expect(events.some((e) => e.type === "write-outcome-unknown")).toBe(false);
      expect(store.daxStats()).toMatchObject({ fallbacks: 2, writeOutcomesUnknown: 0, daxWrites: 0 });
    } finally {
      await store.close();
    }
  });
});
