import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, it } from "vitest";
import { fromAttributeMap, toAttributeMap } from "../src/marshal.js";

// The store's own item conversion, differentially against lib-dynamodb's (util-dynamodb with
// removeUndefinedValues, as the document client the store used to send through).
const ITEMS: Record<string, unknown>[] = [
  {
    pk: "records#s",
    sk: "r#k",
    t: "b",
    updatedAt: 1_796_562_686_597,
    v: new Uint8Array([0, 1, 255]),
    version: 1,
  },
  { pk: "", s: "ünïcödé 🎉", n: -0.5, zero: 0, big: Number.MAX_SAFE_INTEGER, neg: -42, f: 1e-7 },
  { yes: true, no: false, nothing: null, skipped: undefined },
  { list: ["a", 1, true, null, undefined, new Uint8Array(0), ["nested", { deep: [1] }]] },
  { map: { a: { b: { c: "d" } }, gone: undefined, empty: {} }, emptyList: [] },
  { buf: Buffer.from("bytes"), bigint: 12_345_678_901_234_567_890n },
];

describe("marshal", () => {
  it.each(ITEMS.map((item, i) => [i, item] as const))("item %i converts as util-dynamodb does", (_, item) => {
    const ours = toAttributeMap(item);
    expect(ours).toEqual(marshall(item, { removeUndefinedValues: true }));
    expect(fromAttributeMap(ours)).toEqual(unmarshall(ours));
  });

  it("reads sets and large integers as util-dynamodb does", () => {
    const stored = {
      ss: { SS: ["a", "b"] },
      ns: { NS: ["1", "2.5"] },
      bs: { BS: [new Uint8Array([1])] },
      huge: { N: "123456789012345678901234567890" },
    };
    expect(fromAttributeMap(stored)).toEqual(unmarshall(stored));
  });

  it("refuses what DynamoDB cannot store exactly, naming the value's kind and no content", () => {
    expect(() => toAttributeMap({ n: Number.NaN })).toThrow(TypeError);
    expect(() => toAttributeMap({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => toAttributeMap({ n: 2 ** 60 })).toThrow(/not a safe integer/);
    expect(() => toAttributeMap({ d: new Date(0) })).toThrow(/a Date cannot be stored/);
    expect(() => toAttributeMap({ s: new Set(["secret"]) })).toThrow(/a Set cannot be stored/);
    expect(() => toAttributeMap({ f: () => 1 })).toThrow(/a function cannot be stored/);
    expect(() => fromAttributeMap({ x: {} as never })).toThrow(/unknown DynamoDB attribute type/);
  });
});
