import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamoStateStore } from "../src/index.js";
import { decodeJson, encodeJson } from "../src/json-codec.js";
import { createLocalStore, type LocalStore } from "./local.js";

describe("values and ids", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("-0, unsafe integers, tiny and huge numbers, empty keys and deep nesting round-trip exactly", async () => {
    const value = {
      negZero: -0,
      list: [-0, 0],
      big: 2 ** 64,
      unsafe: 2 ** 53 + 2,
      tiny: 5e-324,
      huge: 1.7976931348623157e308,
      "": { "": "" },
    };
    expect(Object.is(decodeJson<typeof value>(encodeJson(value)).negZero, -0)).toBe(true);
    await local.store.toolCache.set("t", {}, value, { ttlSeconds: 60 });
    const hit = await local.store.toolCache.get<typeof value>("t", {});
    expect(hit?.value).toEqual(value);
    expect(Object.is(hit?.value.negZero, -0)).toBe(true);
    expect(Object.is(hit?.value.list[0], -0)).toBe(true);
    const prefs = await local.store.preferences.patch("u", "a", { n: -0, "": 1 });
    expect(Object.is((await local.store.preferences.get("u", "a"))?.values.n, -0)).toBe(true);
    expect(prefs.values).toEqual({ n: -0, "": 1 });
  });

  it("a writer whose clock runs behind still appends after the newest message (ids from the failed condition)", async () => {
    const now = Date.now();
    const fast = await createStoreOnSameTables(local, () => now + 60_000);
    const slow = await createStoreOnSameTables(local, () => now);
    const { sessionId } = await fast.sessions.create({ ttlSeconds: 3600 });
    const [first] = await fast.sessions.append(sessionId, { role: "user", content: "from the future" });
    const cost = await local.counter.measure(() =>
      slow.sessions.append(sessionId, { role: "user", content: "from the past" }),
    );
    const [second] = (await slow.sessions.messages(sessionId)).items.slice(1);
    expect(second?.content).toBe("from the past");
    expect(first!.id < second!.id).toBe(true);
    // One cancelled transaction (its ALL_OLD item carried the newest id), then the one that succeeded.
    expect(cost.byOperation).toEqual({ TransactWriteItems: 2 });
  });
});

async function createStoreOnSameTables(local: LocalStore, clock: () => number): Promise<DynamoStateStore> {
  return new DynamoStateStore({
    client: DynamoDBDocumentClient.from(local.low),
    tables: local.tables,
    clock,
  });
}
