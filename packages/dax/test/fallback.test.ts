import { ManualClock } from "@agent-state/core/testing";
import type { DynamoStateStore } from "@agent-state/dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaxEvent, withDax } from "../src/index.js";
import { DaxDouble } from "./support/dax-double.js";
import { countRequests, localClient } from "./support/dynamo.js";
import { freshDynamoStore, sameTablesStore } from "./support/stores.js";

/** DAX failing in each way it can, with the DAX double; the real SDK client is in real-dax-client.test.ts. */
describe("withDax: falling back to DynamoDB when DAX fails", () => {
  const clock = new ManualClock();
  const client = localClient(inject("dynamoEndpoint"));
  const requests = countRequests(client);
  let tables: Awaited<ReturnType<typeof freshDynamoStore>>["tables"];
  let drop: () => Promise<void>;
  let sessionId = "";
  const reader = (): DynamoStateStore => sameTablesStore(client, tables, clock.now);

  beforeAll(async () => {
    const fresh = await freshDynamoStore(client, clock.now);
    ({ tables, drop } = fresh);
    ({ sessionId } = await fresh.store.sessions.create({ userId: "fb", state: { ok: true } }));
    await fresh.store.sessions.append(sessionId, { role: "user", content: "hello" });
  });
  afterAll(async () => {
    await drop();
    client.destroy();
  });

  // A DAX double that answers is never cut off by the timeout (its misses read a busy DynamoDB Local);
  // only the hang test relies on timeoutMs firing.
  function setup(breaker = { failureThreshold: 2, coolDownMs: 30_000 }, timeoutMs = 30_000) {
    let cacheNowMs = 1_000_000;
    const events: DaxEvent[] = [];
    const dax = new DaxDouble(DynamoDBDocument.from(client), { now: () => cacheNowMs });
    const store = withDax(reader(), {
      client: dax,
      cacheClock: () => cacheNowMs,
      l1: false,
      timeoutMs,
      breaker,
      onEvent: (event) => events.push(event),
    });
    return { dax, store, events, advance: (ms: number) => (cacheNowMs += ms) };
  }

  it("answers every kind of read from DynamoDB while DAX is down, then opens the breaker", async () => {
    const { dax, store, events } = setup();
    dax.down = true;
    const everyRead = async (s: Pick<DynamoStateStore, "sessions" | "preferences">) => {
      expect((await s.sessions.get(sessionId, { recentMessages: 5 }))?.recentMessages).toHaveLength(1);
      expect((await s.sessions.messages(sessionId)).items).toHaveLength(1);
      expect((await s.sessions.listByUser("fb")).items).toHaveLength(1);
      expect(await s.preferences.get("fb", "agent")).toBeNull();
    };
    requests.reset();
    await everyRead(reader());
    const directRequests = requests.total;
    requests.reset();
    await everyRead(store);
    // Each read reached DynamoDB as if there were no DAX: a failed DAX attempt costs no DynamoDB read.
    expect(requests.total).toBe(directRequests);
    expect(store.daxStats()).toMatchObject({
      daxFailures: 2,
      fallbacks: 4,
      daxReads: 0,
      breakerState: "open",
    });
    expect(
      events.map((e) => (e.type === "fallback" ? e.reason : `${e.type}:${"state" in e ? e.state : ""}`)),
    ).toEqual(["error", "error", "breaker:open", "breaker-open", "breaker-open"]);
    await store.close();
  });

  it("gives up on a DAX that does not answer after timeoutMs", async () => {
    const { dax, store, events } = setup(undefined, 100);
    dax.hang = true;
    const session = await store.sessions.get(sessionId);
    expect(session?.state).toEqual({ ok: true });
    expect(store.daxStats()).toMatchObject({ daxTimeouts: 1, daxFailures: 1, fallbacks: 1 });
    expect(events).toContainEqual(expect.objectContaining({ type: "fallback", reason: "timeout" }));
    dax.shutdown();
    await store.close();
  });

  it("probes DAX again after the cool-down and closes the breaker once it answers", async () => {
    const { dax, store, events, advance } = setup();
    dax.down = true;
    await store.sessions.get(sessionId);
    await store.sessions.get(sessionId);
    expect(store.daxStats().breakerState).toBe("open");

    dax.down = false;
    advance(29_999);
    await store.sessions.get(sessionId);
    expect(store.daxStats()).toMatchObject({ breakerState: "open", daxReads: 0 });

    advance(1);
    await store.sessions.get(sessionId);
    expect(store.daxStats()).toMatchObject({ breakerState: "closed", daxReads: 1 });
    await store.sessions.get(sessionId);
    expect(store.daxStats()).toMatchObject({ daxReads: 2, fallbacks: 3 });
    expect(
      events.filter((e) => e.type === "breaker").map((e) => (e.type === "breaker" ? e.state : "")),
    ).toEqual(["open", "half-open", "closed"]);
    await store.close();
  });

  it("a failing probe keeps the breaker open for another cool-down", async () => {
    const { dax, store, advance } = setup({ failureThreshold: 1, coolDownMs: 1_000 });
    dax.down = true;
    await store.sessions.get(sessionId);
    advance(1_000);
    expect((await store.sessions.get(sessionId))?.sessionId).toBe(sessionId);
    expect(store.daxStats()).toMatchObject({ breakerState: "open", daxFailures: 2 });
    await store.close();
  });

  it("an observer that throws does not fail reads", async () => {
    const dax = new DaxDouble(DynamoDBDocument.from(client));
    dax.down = true;
    const store = withDax(reader(), {
      client: dax,
      onEvent: () => {
        throw new Error("observer bug");
      },
    });
    expect((await store.sessions.get(sessionId))?.sessionId).toBe(sessionId);
    await store.close();
  });

  it("rejects bad options with a ValidationError", () => {
    const store = reader();
    const bad = [
      { client: new DaxDouble(DynamoDBDocument.from(client)), endpoints: ["dax://x"] },
      { endpoints: [] },
      { client: {} },
      { endpoints: ["dax://x"], timeoutMs: 0 },
      { endpoints: ["dax://x"], l1: { maxEntries: 0 } },
      { endpoints: ["dax://x"], breaker: { failureThreshold: 1.5 } },
    ];
    for (const options of bad) {
      expect(() => withDax(store, options as never)).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    }
  });
});
