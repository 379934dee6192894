import { randomBytes } from "node:crypto";
import { ManualClock } from "@agent-state/core/testing";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamoStateStore } from "../src/index.js";
import { createLocalStore, type LocalStore } from "./local.js";

describe("records on DynamoDB Local", () => {
  let local: LocalStore;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    local = await createLocalStore({ clock: clock.now });
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("puts, gets in key order with nulls, bumps versions, deletes", async () => {
    const { records } = local.store;
    const [a] = await records.write("s", [{ put: "a", value: { n: 1 } }]);
    expect(a).toMatchObject({ key: "a", value: { n: 1 }, version: 1, expiresAt: null });
    const [a2] = await records.write("s", [{ put: "a", value: { n: 2 } }]);
    expect(a2?.version).toBe(2);
    await records.write("s", [{ put: "b", value: new Uint8Array([1, 2, 3]) }]);
    const got = await records.get("s", ["b", "missing", "a", "b"]);
    expect(got.map((r) => r?.key ?? null)).toEqual(["b", null, "a", "b"]);
    expect(got[0]?.value).toEqual(new Uint8Array([1, 2, 3]));
    expect(got[2]).toMatchObject({ value: { n: 2 }, version: 2 });
    await records.write("s", [{ delete: "a" }]);
    expect(await records.get("s", ["a"])).toEqual([null]);
    const [again] = await records.write("s", [{ put: "a", value: 1 }]);
    expect(again?.version).toBe(1);
  });

  it("ifVersion: conflicts carry the stored version; atomic batches write nothing on conflict", async () => {
    const { records } = local.store;
    await records.write("s", [{ put: "k", value: 1 }]);
    await expect(records.write("s", [{ put: "k", value: 2, ifVersion: 0 }])).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
      actualVersion: 1,
      expectedVersion: 0,
    });
    await expect(
      records.write(
        "s",
        [
          { put: "x", value: 1 },
          { put: "k", value: 3, ifVersion: 7 },
        ],
        { atomic: true },
      ),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", key: "k", actualVersion: 1 });
    expect(await records.get("s", ["x"])).toEqual([null]);
    const written = await records.write(
      "s",
      [
        { put: "x", value: 1, ifVersion: 0 },
        { put: "k", value: 3, ifVersion: 1 },
      ],
      { atomic: true },
    );
    expect(written.map((r) => r.version)).toEqual([1, 2]);
    // Non-atomic: the other ops are applied, the first failure thrown afterwards.
    await expect(
      records.write("s", [
        { put: "y", value: 1 },
        { delete: "x", ifVersion: 5 },
      ]),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", key: "x", actualVersion: 1 });
    expect((await records.get("s", ["y", "x"])).map((r) => r?.version)).toEqual([1, 1]);
  });

  it("a store that never saw a key still writes the right version (the failed guess is corrected)", async () => {
    await local.store.records.write("s", [{ put: "k", value: 1 }]);
    const other = new DynamoStateStore({
      client: DynamoDBDocumentClient.from(local.low),
      tables: local.tables,
      clock: clock.now,
    });
    const [k] = await other.records.write("s", [{ put: "k", value: 2 }]);
    expect(k?.version).toBe(2);
    // The first store's guess (version 1) is stale now; the write still lands on version 3.
    const [k3] = await local.store.records.write("s", [{ put: "k", value: 3 }], { atomic: true });
    expect(k3?.version).toBe(3);
    expect((await other.records.get("s", ["k"]))[0]).toMatchObject({ value: 3, version: 3 });
  });

  it("expiry follows the store's clock; an expired record counts as absent", async () => {
    const { records } = local.store;
    await records.write("s", [{ put: "t", value: "v", ttlSeconds: 10 }]);
    clock.advanceSeconds(11);
    expect(await records.get("s", ["t"])).toEqual([null]);
    expect((await records.range("s")).items).toEqual([]);
    const [t] = await records.write("s", [{ put: "t", value: "w", ifVersion: 0 }]);
    expect(t?.version).toBe(1);
  });

  it("range: UTF-8 key order, prefix, bounds, desc, pages", async () => {
    const { records } = local.store;
    const keys = ["a", "ab", "abc", "b", "\u{FFFF}", "\u{10000}", "é", "z"];
    await records.write(
      "s",
      keys.map((k) => ({ put: k, value: k })),
    );
    const all = await records.range("s", { limit: 100 });
    expect(all.items.map((r) => r.key)).toEqual(["a", "ab", "abc", "b", "z", "é", "\u{FFFF}", "\u{10000}"]);
    expect((await records.range("s", { prefix: "a" })).items.map((r) => r.key)).toEqual(["a", "ab", "abc"]);
    expect((await records.range("s", { after: "a", before: "b" })).items.map((r) => r.key)).toEqual([
      "ab",
      "abc",
    ]);
    expect(
      (await records.range("s", { prefix: "a", after: "a", order: "desc" })).items.map((r) => r.key),
    ).toEqual(["abc", "ab"]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await records.range("s", { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => r.key));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.items.map((r) => r.key));
  });

  it("large values: 2 MB of random bytes and 8 MiB of JSON round-trip; chunks never show in range", async () => {
    const { records } = local.store;
    const bytes = new Uint8Array(randomBytes(2 * 1024 * 1024));
    const text = "y".repeat(8 * 1024 * 1024 - 2);
    await records.write("s", [
      { put: "bin", value: bytes },
      { put: "json", value: text },
    ]);
    const [bin, json] = await records.get("s", ["bin", "json"]);
    expect(bin?.value).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bin?.value as Uint8Array).equals(bytes)).toBe(true);
    expect(json?.value).toBe(text);
    expect((await records.range("s")).items.map((r) => r.key)).toEqual(["bin", "json"]);
    // Replacing a chunked value deletes its chunks; clear removes everything.
    await records.write("s", [{ put: "bin", value: "small" }]);
    expect((await records.get("s", ["bin"]))[0]?.value).toBe("small");
    expect(await records.clear("s")).toBe(true);
    expect(await records.clear("s")).toBe(false);
  });

  it("N concurrent conditional puts of one key: exactly one wins", async () => {
    const { records } = local.store;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => records.write("s", [{ put: "k", value: i, ifVersion: 0 }])),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "VERSION_CONFLICT" });
    }
  });
});
