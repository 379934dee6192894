import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalStore, type LocalStore } from "./local.js";

/** Random bytes: they do not compress, so these are the costs of values of exactly this size. */
const value = (bytes: number) => new Uint8Array(randomBytes(bytes));

describe("records cost budgets (requests and capacity as DynamoDB bills them)", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await createLocalStore();
    const { records } = local.store;
    for (let start = 0; start < 1_000; start += 100) {
      await records.write(
        "many",
        Array.from({ length: 100 }, (_, i) => ({
          put: `key-${String(start + i).padStart(5, "0")}`,
          value: { n: start + i },
        })),
      );
    }
  }, 300_000);
  afterAll(async () => {
    await local.dispose();
  });

  it("get of 20 keys is 1 BatchGetItem; range of 20 of 1,000 is 1 Query", async () => {
    const { records } = local.store;
    const keys = Array.from({ length: 20 }, (_, i) => `key-${String(i * 37).padStart(5, "0")}`);
    const get = await local.counter.measure(async () => {
      expect((await records.get("many", keys)).every((r) => r !== null)).toBe(true);
    });
    expect(get.byOperation).toEqual({ BatchGetItem: 1 });
    const range = await local.counter.measure(async () => {
      const page = await records.range("many", { after: "key-00500", limit: 20 });
      expect(page.items).toHaveLength(20);
      expect(page.items[0]?.key).toBe("key-00501");
    });
    expect(range.byOperation).toEqual({ Query: 1 });
    expect(range.readUnits).toBeLessThanOrEqual(2);
  });

  it("a small put is 1 UpdateItem of 1 WCU (an overwrite too); an atomic pair is 1 TransactWriteItems of 4 WCU", async () => {
    const { records } = local.store;
    const first = await local.counter.measure(() =>
      records.write("w", [{ put: "a", value: { small: true } }]),
    );
    const overwrite = await local.counter.measure(() =>
      records.write("w", [{ put: "a", value: { small: 2 } }]),
    );
    expect(first).toMatchObject({ byOperation: { UpdateItem: 1 }, writeUnits: 1 });
    expect(overwrite).toEqual(first);
    const conditional = await local.counter.measure(() =>
      records.write("w", [{ put: "a", value: 3, ifVersion: 2 }]),
    );
    expect(conditional).toMatchObject({ byOperation: { PutItem: 1 }, writeUnits: 1 });
    const pair = await local.counter.measure(() =>
      records.write(
        "w",
        [
          { put: "a", value: 4, ifVersion: 3 },
          { put: "b", value: 1, ifVersion: 0 },
        ],
        { atomic: true },
      ),
    );
    expect(pair).toMatchObject({ byOperation: { TransactWriteItems: 1 }, writeUnits: 4 });
  });

  it.each([
    { label: "1 KB", bytes: 1024, put: { UpdateItem: 1 }, get: { BatchGetItem: 1 }, maxWcu: 2, maxRcu: 1 },
    {
      label: "100 KB",
      bytes: 100 * 1024,
      put: { UpdateItem: 1 },
      get: { BatchGetItem: 1 },
      maxWcu: 101,
      maxRcu: 26,
    },
    {
      label: "2 MB",
      bytes: 2 * 1024 * 1024,
      // 6 chunks in one BatchWriteItem, then the head; reading: the head, then the chunks.
      put: { BatchWriteItem: 1, UpdateItem: 1 },
      get: { BatchGetItem: 2 },
      maxWcu: 2 * 1024 + 10,
      maxRcu: 2 * 256 + 8,
    },
  ])("a $label value round-trips at its budget", async ({ label, bytes, put, get, maxWcu, maxRcu }) => {
    const { records } = local.store;
    const original = value(bytes);
    const putCost = await local.counter.measure(() =>
      records.write("sizes", [{ put: label, value: original }]),
    );
    let read: unknown;
    const getCost = await local.counter.measure(async () => {
      [read] = await records.get("sizes", [label]);
    });
    // Buffer.equals: a deep toEqual over 2 million elements takes many seconds.
    expect(Buffer.from((read as { value: Uint8Array }).value).equals(original)).toBe(true);
    expect(putCost.byOperation).toEqual(put);
    expect(getCost.byOperation).toEqual(get);
    expect(putCost.writeUnits).toBeLessThanOrEqual(maxWcu);
    expect(getCost.readUnits).toBeLessThanOrEqual(maxRcu);
    console.info(
      `records ${label}: put ${putCost.requests} requests ${putCost.writeUnits} WCU; get ${getCost.requests} requests ${getCost.readUnits} RCU`,
    );
  });
});
