import { describe, expect, it } from "vitest";
import type { Json, StoredRecord } from "../types.js";
import {
  codeOf,
  readAllPages,
  SLOW_TEST_TIMEOUT_MS,
  type StateStoreContractOptions,
  useStore,
} from "./harness.js";

const keysOf = (records: (StoredRecord | null)[]) => records.map((r) => r?.key ?? null);

/** `store.records`: versions, preconditions, atomic batches, key order, ranges, expiry, clear. */
export function describeRecordsContract(options: StateStoreContractOptions): void {
  describe("records", () => {
    const t = useStore(options);

    it("put returns the stored record; get returns records in the order asked, null where absent", async () => {
      const now = t.clock.now();
      const [a, b] = await t.store.records.write("thread-1", [
        { put: "a", value: { n: 1, list: [true, null, "x"] } },
        { put: "b", value: "text", ttlSeconds: 60 },
      ]);
      expect(a).toEqual({
        key: "a",
        value: { n: 1, list: [true, null, "x"] },
        version: 1,
        updatedAt: now,
        expiresAt: null,
      });
      expect(b).toEqual({ key: "b", value: "text", version: 1, updatedAt: now, expiresAt: now + 60_000 });
      const got = await t.store.records.get("thread-1", ["b", "missing", "a", "b"]);
      expect(got).toEqual([b, null, a, b]);
      expect(await t.store.records.get("thread-1", [])).toEqual([]);
      expect(await t.store.records.get("other-thread", ["a"])).toEqual([null]);
    });

    it("each put adds 1 to the version; a delete and a new put start again at 1", async () => {
      await t.store.records.write("s", [{ put: "k", value: 1 }]);
      t.clock.advance(5);
      const [second] = await t.store.records.write("s", [{ put: "k", value: 2 }]);
      expect(second).toMatchObject({ value: 2, version: 2, updatedAt: t.clock.now() });
      await t.store.records.write("s", [{ delete: "k" }]);
      expect(await t.store.records.get("s", ["k"])).toEqual([null]);
      const [again] = await t.store.records.write("s", [{ put: "k", value: 3 }]);
      expect(again).toMatchObject({ value: 3, version: 1 });
    });

    it("values round-trip exactly: JSON of every kind, and bytes as a Uint8Array", async () => {
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 0, 128]);
      const json: Json = {
        nested: { deep: [[[{ x: -0.5 }]]] },
        unicode: "ünïcødé ✓ 🚀 \u2028",
        big: 9_007_199_254_740_991,
        empty: "",
        emptyObject: {},
        emptyList: [],
        nil: null,
      };
      const values: Json[] = [json, "a string", 0, -12.75, true, false, null, [1, "two", { three: 3 }]];
      await t.store.records.write("values", [
        { put: "bytes", value: bytes },
        { put: "empty-bytes", value: new Uint8Array(0) },
        ...values.map((value, i) => ({ put: `json-${i}`, value })),
      ]);
      const [storedBytes, emptyBytes, ...rest] = await t.store.records.get("values", [
        "bytes",
        "empty-bytes",
        ...values.map((_, i) => `json-${i}`),
      ]);
      expect(storedBytes?.value).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(storedBytes?.value)).toBe(false);
      expect([...(storedBytes!.value as Uint8Array)]).toEqual([...bytes]);
      expect(emptyBytes?.value).toBeInstanceOf(Uint8Array);
      expect((emptyBytes!.value as Uint8Array).byteLength).toBe(0);
      expect(rest.map((r) => r?.value)).toEqual(values);
      const proto = JSON.parse('{"__proto__": {"polluted": 1}, "ok": 2}') as Json;
      await t.store.records.write("values", [{ put: "proto", value: proto }]);
      const [storedProto] = await t.store.records.get("values", ["proto"]);
      expect(Object.keys(storedProto!.value as object)).toEqual(["__proto__", "ok"]);
      expect(({} as { polluted?: number }).polluted).toBeUndefined();
    });

    it("the store keeps its own copy: changing the input or the output changes nothing stored", async () => {
      const value = { list: [1, 2] };
      const bytes = new Uint8Array([1, 2, 3]);
      const [put] = await t.store.records.write("copies", [
        { put: "json", value },
        { put: "bytes", value: bytes },
      ]);
      value.list.push(3);
      bytes[0] = 99;
      (put!.value as { list: number[] }).list.push(4);
      const [json, storedBytes] = await t.store.records.get("copies", ["json", "bytes"]);
      expect(json?.value).toEqual({ list: [1, 2] });
      expect([...(storedBytes!.value as Uint8Array)]).toEqual([1, 2, 3]);
      (json!.value as { list: number[] }).list.push(5);
      expect((await t.store.records.get("copies", ["json"]))[0]?.value).toEqual({ list: [1, 2] });
    });

    it("ifVersion: 0 means must not exist; n means the stored version is n; a failure names the key and version", async () => {
      const [created] = await t.store.records.write("cas", [{ put: "k", value: "v1", ifVersion: 0 }]);
      expect(created?.version).toBe(1);
      const taken = await t.store.records
        .write("cas", [{ put: "k", value: "x", ifVersion: 0 }])
        .catch((e: unknown) => e);
      expect(taken).toMatchObject({
        code: "VERSION_CONFLICT",
        scope: "cas",
        key: "k",
        expectedVersion: 0,
        actualVersion: 1,
      });
      const stale = await t.store.records
        .write("cas", [{ put: "k", value: "x", ifVersion: 7 }])
        .catch((e: unknown) => e);
      expect(stale).toMatchObject({
        code: "VERSION_CONFLICT",
        key: "k",
        expectedVersion: 7,
        actualVersion: 1,
      });
      const [updated] = await t.store.records.write("cas", [{ put: "k", value: "v2", ifVersion: 1 }]);
      expect(updated).toMatchObject({ value: "v2", version: 2 });
      const absent = await t.store.records
        .write("cas", [{ put: "nope", value: 1, ifVersion: 1 }])
        .catch((e: unknown) => e);
      expect(absent).toMatchObject({
        code: "VERSION_CONFLICT",
        key: "nope",
        expectedVersion: 1,
        actualVersion: 0,
      });
      expect(await codeOf(t.store.records.write("cas", [{ delete: "k", ifVersion: 1 }]))).toBe(
        "VERSION_CONFLICT",
      );
      expect((await t.store.records.get("cas", ["k"]))[0]).toMatchObject({ value: "v2", version: 2 });
      await t.store.records.write("cas", [{ delete: "k", ifVersion: 2 }]);
      expect(await t.store.records.get("cas", ["k", "nope"])).toEqual([null, null]);
      // Deleting what is absent, on the condition that it is absent, succeeds and writes nothing.
      expect(await t.store.records.write("cas", [{ delete: "k", ifVersion: 0 }])).toEqual([]);
    });

    it("an atomic batch with one failed precondition writes nothing", async () => {
      await t.store.records.write("atomic", [
        { put: "a", value: "a1" },
        { put: "b", value: "b1" },
      ]);
      const failed = await t.store.records
        .write(
          "atomic",
          [
            { put: "a", value: "a2", ifVersion: 1 },
            { put: "c", value: "c1" },
            { put: "d", value: "d1", ifVersion: 0 },
            { put: "b", value: "b2", ifVersion: 5 },
          ],
          { atomic: true },
        )
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({
        code: "VERSION_CONFLICT",
        key: "b",
        expectedVersion: 5,
        actualVersion: 1,
      });
      const after = await t.store.records.get("atomic", ["a", "b", "c", "d"]);
      expect(after.map((r) => r && [r.key, r.value, r.version])).toEqual([
        ["a", "a1", 1],
        ["b", "b1", 1],
        null,
        null,
      ]);
      const done = await t.store.records.write(
        "atomic",
        [
          { put: "a", value: "a2", ifVersion: 1 },
          { delete: "b", ifVersion: 1 },
          { put: "c", value: "c1", ifVersion: 0 },
        ],
        { atomic: true },
      );
      expect(done.map((r) => [r.key, r.version])).toEqual([
        ["a", 2],
        ["c", 1],
      ]);
      expect(keysOf(await t.store.records.get("atomic", ["a", "b", "c"]))).toEqual(["a", null, "c"]);
    });

    it("a non-atomic batch applies every op it can and then throws the first failure", async () => {
      await t.store.records.write("loose", [{ put: "taken", value: 1 }]);
      const failed = await t.store.records
        .write("loose", [
          { put: "x", value: "x1" },
          { put: "taken", value: 2, ifVersion: 0 },
          { put: "y", value: "y1", ifVersion: 0 },
          { put: "missing", value: 3, ifVersion: 4 },
        ])
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: "VERSION_CONFLICT", key: "taken" });
      const after = await t.store.records.get("loose", ["x", "taken", "y", "missing"]);
      expect(after.map((r) => r && [r.key, r.value])).toEqual([["x", "x1"], ["taken", 1], ["y", "y1"], null]);
    });

    it("write returns the puts' records in op order, deletes contributing nothing", async () => {
      const written = await t.store.records.write("order", [
        { put: "z", value: 1 },
        { delete: "q" },
        { put: "a", value: 2 },
        { put: "m", value: 3 },
      ]);
      expect(written.map((r) => r.key)).toEqual(["z", "a", "m"]);
    });

    it("range lists keys in Unicode code point order (UTF-8 byte order), not UTF-16 order", async () => {
      // U+FF61 sorts before U+1F600 by code point, after it by UTF-16 code unit.
      const keys = ["b", "a", "ab", "a\u00e9", "\uff61", "\u{1f600}", "A", "a b", "a-", "~", "\u00ff"];
      await t.store.records.write(
        "unicode",
        keys.map((key) => ({ put: key, value: key })),
      );
      const expected = ["A", "a", "a b", "a-", "ab", "a\u00e9", "b", "~", "\u00ff", "\uff61", "\u{1f600}"];
      expect((await t.store.records.range("unicode")).items.map((r) => r.key)).toEqual(expected);
      expect((await t.store.records.range("unicode", { order: "desc" })).items.map((r) => r.key)).toEqual(
        [...expected].reverse(),
      );
      const page = await t.store.records.range("unicode", { after: "\uff61" });
      expect(page.items.map((r) => r.key)).toEqual(["\u{1f600}"]);
    });

    it("range honours prefix, exclusive after/before bounds, order and limit, together", async () => {
      const keys = ["a", "ck:1", "ck:2", "ck:3", "ck:4", "ck:5", "ck;", "ck", "cl:1", "z"];
      await t.store.records.write(
        "bounds",
        keys.map((key) => ({ put: key, value: 1 })),
      );
      const list = async (opts: Parameters<typeof t.store.records.range>[1]) =>
        (await t.store.records.range("bounds", opts)).items.map((r) => r.key);
      expect(await list({ prefix: "ck:" })).toEqual(["ck:1", "ck:2", "ck:3", "ck:4", "ck:5"]);
      expect(await list({ prefix: "ck" })).toEqual(["ck", "ck:1", "ck:2", "ck:3", "ck:4", "ck:5", "ck;"]);
      expect(await list({ prefix: "ck:", after: "ck:2" })).toEqual(["ck:3", "ck:4", "ck:5"]);
      expect(await list({ prefix: "ck:", before: "ck:4", order: "desc" })).toEqual(["ck:3", "ck:2", "ck:1"]);
      expect(await list({ after: "ck:1", before: "ck:5" })).toEqual(["ck:2", "ck:3", "ck:4"]);
      expect(await list({ after: "ck:2", before: "ck:3" })).toEqual([]);
      expect(await list({ after: "z" })).toEqual([]);
      expect(await list({ after: "ck:5", before: "ck:1" })).toEqual([]);
      expect(await list({ prefix: "ck:", order: "desc", limit: 2 })).toEqual(["ck:5", "ck:4"]);
      expect(await list({ prefix: "nothing" })).toEqual([]);
      expect(await list({ before: "a" })).toEqual([]);
      expect(await list({ prefix: "", after: "cl:1" })).toEqual(["z"]);
    });

    it(
      "range pages through hundreds of records in both orders: no gaps, no duplicates, last cursor null",
      async () => {
        const keys = Array.from({ length: 230 }, (_, i) => `step:${String(i).padStart(4, "0")}`);
        for (let i = 0; i < keys.length; i += 100) {
          await t.store.records.write(
            "paging",
            keys.slice(i, i + 100).map((key, j) => ({ put: key, value: i + j })),
          );
        }
        await t.store.records.write("paging", [{ put: "other:1", value: 0 }]);
        for (const limit of [7, 50, 229, 230, 1000]) {
          const asc = await readAllPages((cursor) =>
            t.store.records.range(
              "paging",
              cursor === undefined ? { prefix: "step:", limit } : { prefix: "step:", limit, cursor },
            ),
          );
          expect(asc.items.map((r) => r.key)).toEqual(keys);
          expect(asc.pages).toBeLessThanOrEqual(Math.ceil(230 / limit) + 1);
          const desc = await readAllPages((cursor) =>
            t.store.records.range(
              "paging",
              cursor === undefined
                ? { prefix: "step:", limit, order: "desc" }
                : { prefix: "step:", limit, order: "desc", cursor },
            ),
          );
          expect(desc.items.map((r) => r.key)).toEqual([...keys].reverse());
        }
        const first = await t.store.records.range("paging", { prefix: "step:", limit: 3 });
        expect(first.items.map((r) => r.value)).toEqual([0, 1, 2]);
        expect(first.cursor).not.toBeNull();
        const byDefault = await t.store.records.range("paging");
        expect(byDefault.items).toHaveLength(50);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it("a cursor is bound to its listing: another scope's, prefix's or order's cursor is rejected", async () => {
      await t.store.records.write(
        "c1",
        ["a", "b", "c"].map((key) => ({ put: key, value: 1 })),
      );
      await t.store.records.write(
        "c2",
        ["a", "b", "c"].map((key) => ({ put: key, value: 1 })),
      );
      const page = await t.store.records.range("c1", { limit: 1 });
      expect(page.cursor).not.toBeNull();
      const cursor = page.cursor as string;
      expect(await codeOf(t.store.records.range("c2", { limit: 1, cursor }))).toBe("VALIDATION");
      expect(await codeOf(t.store.records.range("c1", { limit: 1, cursor, order: "desc" }))).toBe(
        "VALIDATION",
      );
      expect(await codeOf(t.store.records.range("c1", { limit: 1, cursor, prefix: "a" }))).toBe("VALIDATION");
      expect(await codeOf(t.store.records.range("c1", { limit: 1, cursor: `${cursor}x` }))).toBe(
        "VALIDATION",
      );
      const next = await t.store.records.range("c1", { limit: 1, cursor });
      expect(next.items.map((r) => r.key)).toEqual(["b"]);
    });

    it("scopes are isolated, whatever characters they share", async () => {
      await t.store.records.write("a#b", [{ put: "c", value: "first" }]);
      await t.store.records.write("a", [{ put: "b#c", value: "second" }]);
      await t.store.records.write("a#b#c", [{ put: "x", value: "third" }]);
      expect((await t.store.records.get("a", ["b#c"]))[0]?.value).toBe("second");
      expect((await t.store.records.get("a#b", ["c"]))[0]?.value).toBe("first");
      expect((await t.store.records.range("a")).items.map((r) => r.key)).toEqual(["b#c"]);
      expect((await t.store.records.range("a#b")).items.map((r) => r.key)).toEqual(["c"]);
      expect(await t.store.records.clear("a")).toBe(true);
      expect((await t.store.records.get("a#b", ["c"]))[0]?.value).toBe("first");
      expect((await t.store.records.get("a#b#c", ["x"]))[0]?.value).toBe("third");
    });

    it("records and sessions never reach each other, even with the same names", async () => {
      const { sessionId } = await t.store.sessions.create({ sessionId: "shared-name" });
      await t.store.sessions.append(sessionId, { role: "user", content: "hi" });
      await t.store.records.write("shared-name", [{ put: "m000000000001", value: "record" }]);
      expect((await t.store.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual(["hi"]);
      expect(await t.store.records.clear("shared-name")).toBe(true);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(1);
      await t.store.sessions.delete(sessionId);
      await t.store.records.write("shared-name", [{ put: "k", value: 1 }]);
      expect((await t.store.records.range("shared-name")).items).toHaveLength(1);
    });

    it("an expired record is never returned, listed or counted as present, and ifVersion 0 can take it", async () => {
      await t.store.records.write("ttl", [
        { put: "short", value: "s", ttlSeconds: 10 },
        { put: "long", value: "l", ttlSeconds: 100 },
        { put: "forever", value: "f" },
      ]);
      t.clock.advanceSeconds(9);
      expect(keysOf(await t.store.records.get("ttl", ["short", "long", "forever"]))).toEqual([
        "short",
        "long",
        "forever",
      ]);
      t.clock.advanceSeconds(1);
      expect(keysOf(await t.store.records.get("ttl", ["short", "long", "forever"]))).toEqual([
        null,
        "long",
        "forever",
      ]);
      expect((await t.store.records.range("ttl")).items.map((r) => r.key)).toEqual(["forever", "long"]);
      expect(await codeOf(t.store.records.write("ttl", [{ put: "short", value: 1, ifVersion: 1 }]))).toBe(
        "VERSION_CONFLICT",
      );
      const [taken] = await t.store.records.write("ttl", [{ put: "short", value: "again", ifVersion: 0 }]);
      expect(taken).toMatchObject({ value: "again", version: 1, expiresAt: null });
      t.clock.advanceSeconds(100);
      expect((await t.store.records.range("ttl")).items.map((r) => r.key)).toEqual(["forever", "short"]);
      t.clock.advanceSeconds(10 * 365 * 24 * 3600);
      expect((await t.store.records.get("ttl", ["forever"]))[0]?.value).toBe("f");
    });

    it("a put replaces the ttl: with ttlSeconds it expires from now, without it never", async () => {
      await t.store.records.write("ttl2", [{ put: "k", value: 1, ttlSeconds: 10 }]);
      t.clock.advanceSeconds(5);
      const [renewed] = await t.store.records.write("ttl2", [{ put: "k", value: 2, ttlSeconds: 10 }]);
      expect(renewed).toMatchObject({ version: 2, expiresAt: t.clock.now() + 10_000 });
      t.clock.advanceSeconds(9);
      expect((await t.store.records.get("ttl2", ["k"]))[0]?.value).toBe(2);
      const [permanent] = await t.store.records.write("ttl2", [{ put: "k", value: 3 }]);
      expect(permanent?.expiresAt).toBeNull();
      t.clock.advanceSeconds(3600);
      expect((await t.store.records.get("ttl2", ["k"]))[0]?.value).toBe(3);
    });

    it(
      "range skips expired records without coming up short: a page still holds `limit` live records",
      async () => {
        const ops = Array.from({ length: 60 }, (_, i) => ({
          put: `k${String(i).padStart(3, "0")}`,
          value: i,
          ...(i % 3 === 0 ? {} : { ttlSeconds: 5 }),
        }));
        await t.store.records.write("sparse", ops);
        t.clock.advanceSeconds(5);
        const live = ops.filter((_, i) => i % 3 === 0).map((op) => op.put);
        const page = await t.store.records.range("sparse", { limit: 15 });
        expect(page.items.map((r) => r.key)).toEqual(live.slice(0, 15));
        const all = await readAllPages((cursor) =>
          t.store.records.range("sparse", cursor === undefined ? { limit: 6 } : { limit: 6, cursor }),
        );
        expect(all.items.map((r) => r.key)).toEqual(live);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it("clear removes every record of the scope and says whether it held any", async () => {
      await t.store.records.write(
        "to-clear",
        Array.from({ length: 100 }, (_, i) => ({ put: `k${i}`, value: i })),
      );
      await t.store.records.write(
        "to-clear",
        Array.from({ length: 30 }, (_, i) => ({ put: `j${i}`, value: i })),
      );
      await t.store.records.write("kept", [{ put: "k1", value: "stays" }]);
      expect(await t.store.records.clear("to-clear")).toBe(true);
      expect(await t.store.records.range("to-clear")).toEqual({ items: [], cursor: null });
      expect(await t.store.records.get("to-clear", ["k1", "j1"])).toEqual([null, null]);
      expect(await t.store.records.clear("to-clear")).toBe(false);
      expect(await t.store.records.clear("never-used")).toBe(false);
      expect((await t.store.records.get("kept", ["k1"]))[0]?.value).toBe("stays");
      const [fresh] = await t.store.records.write("to-clear", [{ put: "k1", value: "new" }]);
      expect(fresh?.version).toBe(1);
      await t.store.records.write("only-expired", [{ put: "k", value: 1, ttlSeconds: 1 }]);
      t.clock.advanceSeconds(1);
      expect(await t.store.records.clear("only-expired")).toBe(false);
    });

    it("one write holds up to 100 ops; one get up to 100 keys", async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
      const written = await t.store.records.write(
        "hundred",
        keys.map((key, i) => ({ put: key, value: { i } })),
        { atomic: true },
      );
      expect(written).toHaveLength(100);
      const got = await t.store.records.get("hundred", keys);
      expect(got.map((r) => (r!.value as { i: number }).i)).toEqual(keys.map((_, i) => i));
      const removed = await t.store.records.write(
        "hundred",
        keys.map((key) => ({ delete: key, ifVersion: 1 })),
        { atomic: true },
      );
      expect(removed).toEqual([]);
      expect(await t.store.records.range("hundred")).toEqual({ items: [], cursor: null });
    });
  });
}
