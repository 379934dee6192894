import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sharedLocalStore } from "./local.js";

const KiB = 1024;

/** A state object whose JSON is `bytes` long, of random (incompressible) text: the worst case. */
const stateOf = (bytes: number) => ({
  s: randomBytes(bytes)
    .toString("base64url")
    .slice(0, bytes - 8),
});

/**
 * What a session state update, a tool-cache set and a preferences set cost on DynamoDB (requests and capacity
 * as DynamoDB bills them), printed for 1 KB / 100 KB / 2 MB; values under 4 KB must cost what they always did.
 */
describe("large state, cache value and preference cost (DynamoDB)", () => {
  const local = sharedLocalStore();

  it("a small state update is 1 UpdateItem of 1 WCU; a small cache set 1 BatchWriteItem; a small get 1 GetItem", async () => {
    const { store, counter } = local;
    const { sessionId } = await store.sessions.create({ state: stateOf(KiB) });
    const update = await counter.measure(() => store.sessions.update(sessionId, { state: stateOf(900) }));
    expect(update).toMatchObject({ requests: 1, byOperation: { UpdateItem: 1 }, writeUnits: 2 });
    const conditional = await counter.measure(() =>
      store.sessions.update(sessionId, { state: stateOf(3 * KiB) }, { expectedVersion: 2 }),
    );
    expect(conditional.byOperation).toEqual({ UpdateItem: 1 });
    const read = await counter.measure(() => store.sessions.get(sessionId));
    expect(read).toMatchObject({ requests: 1, byOperation: { GetItem: 1 }, readUnits: 1 });
    const set = await counter.measure(() =>
      store.toolCache.set("t", { q: 1 }, { small: "x".repeat(500) }, { ttlSeconds: 60 }),
    );
    expect(set.byOperation).toEqual({ BatchWriteItem: 1 });
    const prefs = await counter.measure(() => store.preferences.patch("u", "a", { small: 1 }));
    expect(prefs.requests).toBeLessThanOrEqual(2);
  });

  it("prints the cost of a 1 KB, 100 KB and 2 MB state update, cache set and preferences set", async () => {
    const { store, counter } = local;
    const rows: string[] = [];
    for (const [label, bytes] of [
      ["1 KB", KiB],
      ["100 KB", 100 * KiB],
      ["2 MB", 2048 * KiB],
    ] as const) {
      // The measured update replaces a state of the same size (the steady state of an agent loop).
      const { sessionId } = await store.sessions.create();
      await store.sessions.update(sessionId, { state: stateOf(bytes) }).catch(() => undefined);
      const row = async (what: string, act: () => Promise<unknown>) => {
        const cost = await counter.measure(async () => {
          await act().catch((error: { code?: string }) => rows.push(`${label} ${what}: ${error.code}`));
        });
        rows.push(
          `${label.padEnd(6)} ${what.padEnd(20)} requests ${String(cost.requests).padStart(3)}  ` +
            `WCU ${cost.writeUnits.toFixed(1).padStart(6)}  RCU ${cost.readUnits.toFixed(1).padStart(6)}  ` +
            JSON.stringify(cost.byOperation),
        );
      };
      await row("state update", () => store.sessions.update(sessionId, { state: stateOf(bytes) }));
      await row("state get", () => store.sessions.get(sessionId));
      await row("cache set", () => store.toolCache.set("t", { label }, stateOf(bytes), { ttlSeconds: 60 }));
      await row("cache get", () => store.toolCache.get("t", { label }));
      await row("preferences set", () => store.preferences.set("u", label, stateOf(bytes)));
    }
    console.log(`\n${rows.join("\n")}`);
  }, 300_000);
});
