import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, hashParams } from "../src/canonical.js";
import { ValidationError } from "../src/errors.js";
import type { Json } from "../src/types.js";
import { canonicalParams, checkedParamsHash, validateJsonObject } from "../src/validation.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth, so key order never matters", () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: null }, c: "s" };
    const b = { c: "s", a: { x: null, y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"x":null,"y":[1,{"p":2,"q":1}]},"b":1,"c":"s"}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it("sorts keys by UTF-16 code unit (upper case before lower case, ASCII before accents)", () => {
    expect(canonicalJson({ é: 1, a: 2, B: 3, "": 4 })).toBe('{"":4,"B":3,"a":2,"é":1}');
  });

  it("keeps array order", () => {
    expect(canonicalJson([2, 1])).toBe("[2,1]");
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it("writes primitives as JSON does", () => {
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson(true)).toBe("true");
    expect(canonicalJson(1.5)).toBe("1.5");
    expect(canonicalJson(1e21)).toBe("1e+21");
    expect(canonicalJson("x")).toBe('"x"');
    expect(canonicalJson([])).toBe("[]");
    expect(canonicalJson({})).toBe("{}");
  });

  it("escapes quotes, backslashes and control characters in keys and values", () => {
    const value = { 'k"ey': 'a"b', "back\\slash": "line\nbreak", tab: "\t\u0001" };
    const text = canonicalJson(value);
    expect(text).toBe('{"back\\\\slash":"line\\nbreak","k\\"ey":"a\\"b","tab":"\\t\\u0001"}');
    expect(JSON.parse(text)).toEqual(value);
  });

  it("parses back to an equal value", () => {
    const value: Json = { z: [1, "two", { three: [null, false] }], a: { "nested key": -0.25 } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});

describe("hashParams", () => {
  it("is SHA-256 hex of the canonical JSON, stable for a fixed input", () => {
    const params = { b: 1, a: [1, "x", { d: null, c: true }] };
    expect(hashParams(params)).toBe("88538364c2be8d0a2e850b74cd2f8a88747a017c5f379f6811e11fe452c660eb");
    expect(hashParams({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    expect(hashParams(params)).toBe(
      createHash("sha256").update('{"a":[1,"x",{"c":true,"d":null}],"b":1}').digest("hex"),
    );
  });

  it("ignores key order at every depth", () => {
    expect(hashParams({ q: "cats", opts: { limit: 5, lang: "en" } })).toBe(
      hashParams({ opts: { lang: "en", limit: 5 }, q: "cats" }),
    );
  });

  it("gives distinct values distinct hashes", () => {
    const distinct: Record<string, Json>[] = [
      {},
      { a: null },
      { a: 1 },
      { a: "1" },
      { a: true },
      { a: "true" },
      { a: [] },
      { a: {} },
      { a: [1, 2] },
      { a: [2, 1] },
      { a: [[1], 2] },
      { a: [1, [2]] },
      { a: 1, b: 2 },
      { a: '1,"b":2' },
      { 'a":1,"b': 2 },
      { A: 1 },
      { a: { b: 1 } },
      { "a.b": 1 },
      { a: "" },
      { "": "a" },
    ];
    const hashes = new Set(distinct.map(hashParams));
    expect(hashes.size).toBe(distinct.length);
  });

  it("is 64 lowercase hex characters", () => {
    expect(hashParams({ q: "anything" })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("canonicalParams / checkedParamsHash: validateJsonObject + canonicalJson in one walk", () => {
  const samples: unknown[] = [
    {},
    { q: "weather in Oslo", limit: 10, filters: { lang: "en", tags: ["a", "b"] } },
    { b: 1, a: [1, -0, 1e21, 0.1, { z: null, y: true, x: false }], é: "ü", "": "", B: [[]] },
    JSON.parse('{"__proto__": {"x": 1}, "a": 1}'),
    Object.assign(Object.create(null), { k: "v" }),
  ];
  it("gives the same text and hash as validating, copying and canonicalizing", () => {
    for (const params of samples) {
      const checked = validateJsonObject("params", params);
      expect(canonicalParams(params)).toBe(canonicalJson(checked));
      expect(checkedParamsHash(params)).toBe(hashParams(checked));
    }
  });

  it("refuses what validateJsonObject refuses, with a ValidationError", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const bad: unknown[] = [
      null,
      [1],
      "s",
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { u: undefined },
      { f: () => 1 },
      { b: 10n },
      { d: new Date(0) },
      { s: "\uD800" },
      { "\uD800": 1 },
      { a: new Array(3) },
      { [Symbol("s")]: 1 },
      cyclic,
      { deep: JSON.parse(`${"[".repeat(200)}${"]".repeat(200)}`) },
      {
        get boom(): number {
          throw new Error("getter");
        },
      },
    ];
    for (const params of bad) {
      expect(() => validateJsonObject("params", params)).toThrow(ValidationError);
      expect(() => canonicalParams(params)).toThrow(ValidationError);
    }
  });
});
