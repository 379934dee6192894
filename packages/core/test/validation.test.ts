import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/limits.js";
import {
  parseGetOptions,
  parseMessagesOptions,
  parsePageOptions,
  parseUpdateOptions,
  validateCount,
  validateExpectedVersion,
  validateId,
  validateJson,
  validateJsonObject,
  validateMessages,
  validateOptionalTtl,
  validateOrder,
  validatePreferenceChanges,
  validateSessionChanges,
  validateSessionInit,
  validateToolName,
  validateTtlSeconds,
} from "../src/validation.js";
import { mergePreferenceValues, preferenceValuesBytes } from "../src/value-limits.js";

/** Runs `fn`, expecting a ValidationError; returns it so the caller can check `field`. */
function rejection(fn: () => unknown): { code: string; field: string; name: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; field: string; name: string; message: string };
  }
  throw new Error("expected a ValidationError, but the call returned");
}

function expectRejected(fn: () => unknown, field?: string): void {
  const error = rejection(fn);
  expect(error.name).toBe("ValidationError");
  expect(error.code).toBe("VALIDATION");
  if (field !== undefined) expect(error.field).toBe(field);
}

/** `levels` objects wrapped around a number: the number sits at depth `levels` (the root is depth 0). */
function nestedObject(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function nestedArray(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("validateId", () => {
  it.each([
    ["a"],
    ["session-1"],
    ["a#b"],
    ["user@example.com"],
    ["ünïcødé 🙂"],
    ["x".repeat(LIMITS.maxIdLength)],
  ])("accepts %j and returns it", (id) => {
    expect(validateId("sessionId", id)).toBe(id);
  });

  it.each([
    ["a number", 42],
    ["undefined", undefined],
    ["null", null],
    ["an object", { id: "a" }],
    ["the empty string", ""],
    ["an over-long id", "x".repeat(LIMITS.maxIdLength + 1)],
    ["a NUL", "a\u0000b"],
    ["a newline", "a\nb"],
    ["a tab", "a\tb"],
    ["DEL", "a\u007fb"],
    ["a C1 control", "a\u009fb"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "\udc00"],
  ])("rejects %s", (_label, value) => {
    expectRejected(() => validateId("sessionId", value), "sessionId");
  });

  it("honours a custom maximum length", () => {
    expect(validateId("x", "abc", 3)).toBe("abc");
    expectRejected(() => validateId("x", "abcd", 3), "x");
  });

  it("puts the field name in the message", () => {
    expect(rejection(() => validateId("userId", "")).message).toMatch(/^userId: /);
  });
});

describe("validateToolName", () => {
  it("accepts up to 128 characters and rejects 129", () => {
    const longest = "t".repeat(LIMITS.maxToolNameLength);
    expect(validateToolName(longest)).toBe(longest);
    expectRejected(() => validateToolName(`${longest}t`), "toolName");
  });

  it("rejects empty names and control characters", () => {
    expectRejected(() => validateToolName(""), "toolName");
    expectRejected(() => validateToolName("search\r"), "toolName");
  });
});

describe("validateJson", () => {
  it.each([
    ["null", null],
    ["true", true],
    ["zero", 0],
    ["a negative float", -1.5],
    ["the largest double", Number.MAX_VALUE],
    ["a string", "hello"],
    ["an emoji (a surrogate pair)", "🙂"],
    ["an empty array", []],
    ["an empty object", {}],
    ["a nested mix", { a: [1, "two", { three: null }], b: { c: true } }],
    ["an object without a prototype", Object.assign(Object.create(null), { a: 1 })],
  ])("accepts %s and returns an equal copy", (_label, value) => {
    const copy = validateJson("value", value);
    expect(copy).toEqual(value);
    if (typeof value === "object" && value !== null) expect(copy).not.toBe(value);
  });

  it("reads each property once, so a getter cannot swap in an unchecked value", () => {
    let reads = 0;
    const sneaky = {
      get n() {
        reads++;
        return reads === 1 ? 1 : 10n;
      },
    };
    expect(validateJson("value", { inner: sneaky })).toEqual({ inner: { n: 1 } });
    expect(reads).toBe(1);
  });

  it("keeps a __proto__ key as an own property of the copy", () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "a": 2}');
    const copy = validateJson("value", value) as Record<string, unknown>;
    expect(Object.keys(copy)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it("accepts a value shared twice that is not a cycle", () => {
    const shared = { x: 1 };
    expect(() => validateJson("value", { a: shared, b: shared, c: [shared, shared] })).not.toThrow();
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["a BigInt", 10n],
    ["undefined", undefined],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a Set", new Set()],
    ["a RegExp", /x/],
    ["a class instance", new Point(1, 2)],
    ["a boxed string", new String("x")],
    ["a typed array", new Uint8Array(2)],
    ["a lone surrogate", "\ud83d"],
  ])("rejects %s at the root", (_label, value) => {
    expectRejected(() => validateJson("value", value), "value");
  });

  it("names the path to a bad nested value", () => {
    expectRejected(() => validateJson("state", { a: [1, { b: Number.NaN }] }), "state.a[1].b");
    expectRejected(() => validateJson("state", { a: { b: undefined } }), "state.a.b");
    expectRejected(() => validateJson("state", [new Date(0)]), "state[0]");
  });

  it("rejects a cycle through an object", () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    expectRejected(() => validateJson("state", value), "state.self");
  });

  it("rejects a cycle through an array", () => {
    const list: unknown[] = [1];
    const value = { list };
    list.push(value);
    expectRejected(() => validateJson("state", value), "state.list[1]");
  });

  it("rejects sparse arrays (holes are not JSON)", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expectRejected(() => validateJson("v", [1, , 3]), "v[1]");
    expectRejected(() => validateJson("v", new Array(2)), "v[0]");
  });

  it("accepts an array holding undefined only as an error, not as a hole", () => {
    expectRejected(() => validateJson("v", [1, undefined]), "v[1]");
  });

  it("rejects symbol keys", () => {
    expectRejected(() => validateJson("v", { a: 1, [Symbol("k")]: 2 }), "v");
    expectRejected(() => validateJson("v", { nested: { [Symbol("k")]: 2 } }), "v.nested");
  });

  it("rejects keys and strings with lone surrogates", () => {
    expectRejected(() => validateJson("v", { "bad\udc00key": 1 }), "v.bad\udc00key");
    expectRejected(() => validateJson("v", { ok: ["fine", "bad\ud800"] }), "v.ok[1]");
  });

  it(`accepts nesting to depth ${LIMITS.maxJsonDepth} and rejects ${LIMITS.maxJsonDepth + 1}`, () => {
    expect(LIMITS.maxJsonDepth).toBe(32);
    expect(() => validateJson("v", nestedObject(32))).not.toThrow();
    expect(() => validateJson("v", nestedArray(32))).not.toThrow();
    expectRejected(() => validateJson("v", nestedObject(33)));
    expectRejected(() => validateJson("v", nestedArray(33)));
  });

  it("rejects a deep value with a message naming the limit", () => {
    expect(rejection(() => validateJson("v", nestedObject(40))).message).toContain("32");
  });
});

describe("validateJsonObject", () => {
  it("accepts a plain object and returns it", () => {
    const state = { step: 3, tags: ["a"] };
    expect(validateJsonObject("state", state)).toEqual(state);
  });

  it.each([
    ["null", null],
    ["an array", [1]],
    ["a string", "{}"],
    ["a number", 1],
    ["undefined", undefined],
    ["a Date", new Date(0)],
    ["a class instance", new Point(0, 0)],
  ])("rejects %s", (_label, value) => {
    expectRejected(() => validateJsonObject("state", value), "state");
  });

  it("checks the values inside", () => {
    expectRejected(() => validateJsonObject("params", { q: 1n }), "params.q");
  });

  it("counts the object itself as depth 0", () => {
    expect(() => validateJsonObject("s", nestedObject(32))).not.toThrow();
    expectRejected(() => validateJsonObject("s", nestedObject(33)));
  });
});

describe("validateTtlSeconds and validateOptionalTtl", () => {
  it.each([[1], [60], [LIMITS.maxTtlSeconds]])("accepts %d", (ttl) => {
    expect(validateTtlSeconds("ttlSeconds", ttl)).toBe(ttl);
  });

  it.each([
    ["zero", 0],
    ["negative", -5],
    ["fractional", 1.5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a numeric string", "60"],
    ["undefined", undefined],
    ["null", null],
    ["over ten years", LIMITS.maxTtlSeconds + 1],
  ])("rejects %s", (_label, value) => {
    expectRejected(() => validateTtlSeconds("ttlSeconds", value), "ttlSeconds");
  });

  it("validateOptionalTtl passes an absent ttl through and checks a present one", () => {
    expect(validateOptionalTtl("ttlSeconds", undefined)).toBeUndefined();
    expect(validateOptionalTtl("ttlSeconds", {})).toBeUndefined();
    expect(validateOptionalTtl("ttlSeconds", { ttlSeconds: 30 })).toBe(30);
    expectRejected(() => validateOptionalTtl("ttlSeconds", { ttlSeconds: 0 }), "ttlSeconds");
  });
});

describe("validateCount", () => {
  it("accepts 1 to 1000 by default", () => {
    expect(validateCount("limit", 1)).toBe(1);
    expect(validateCount("limit", LIMITS.maxPageSize)).toBe(1000);
  });

  it("accepts 0 only when the minimum allows it", () => {
    expectRejected(() => validateCount("limit", 0), "limit");
    expect(validateCount("recentMessages", 0, 0)).toBe(0);
    expectRejected(() => validateCount("recentMessages", -1, 0), "recentMessages");
  });

  it.each([
    ["over the maximum", 1001],
    ["fractional", 2.5],
    ["NaN", Number.NaN],
    ["a numeric string", "10"],
    ["null", null],
  ])("rejects %s", (_label, value) => {
    expectRejected(() => validateCount("limit", value), "limit");
  });
});

describe("validateExpectedVersion", () => {
  it("accepts whole numbers from 1", () => {
    expect(validateExpectedVersion(1)).toBe(1);
    expect(validateExpectedVersion(99)).toBe(99);
  });

  it.each([[0], [-1], [1.5], ["1"], [null], [Number.NaN]])("rejects %j", (value) => {
    expectRejected(() => validateExpectedVersion(value), "expectedVersion");
  });
});

describe("validateOrder", () => {
  it("accepts asc and desc only", () => {
    expect(validateOrder("asc")).toBe("asc");
    expect(validateOrder("desc")).toBe("desc");
    for (const bad of ["ASC", "ascending", "", undefined, 1])
      expectRejected(() => validateOrder(bad), "order");
  });
});

describe("validateMessages", () => {
  it("turns one message into a list of one", () => {
    expect(validateMessages({ role: "user", content: "hi" })).toEqual([{ role: "user", content: "hi" }]);
  });

  it("accepts every role, timestamps from 0 and JSON metadata", () => {
    const input = [
      { role: "system", content: "" },
      { role: "user", content: "hi", timestamp: 0 },
      { role: "assistant", content: "hello", metadata: { model: "x", tokens: [1, 2] } },
      { role: "tool", content: "{}", timestamp: Number.MAX_SAFE_INTEGER },
    ];
    expect(validateMessages(input)).toEqual(input);
  });

  it(`accepts ${LIMITS.maxMessagesPerAppend} messages and rejects ${LIMITS.maxMessagesPerAppend + 1}`, () => {
    const one = { role: "user", content: "x" };
    const max = LIMITS.maxMessagesPerAppend;
    expect(validateMessages(Array.from({ length: max }, () => one))).toHaveLength(max);
    expectRejected(() => validateMessages(Array.from({ length: max + 1 }, () => one)), "messages");
  });

  it("rejects an empty list", () => {
    expectRejected(() => validateMessages([]), "messages");
  });

  it.each([
    ["not an object", "hello", "messages[0]"],
    ["null", null, "messages[0]"],
    ["an array", [["user", "hi"]], "messages[0]"],
    ["an unknown field", { role: "user", content: "x", id: "m1" }, "messages[0].id"],
    ["an unknown role", { role: "robot", content: "x" }, "messages[0].role"],
    ["a missing role", { content: "x" }, "messages[0].role"],
    ["non-string content", { role: "user", content: 42 }, "messages[0].content"],
    ["missing content", { role: "user" }, "messages[0].content"],
    ["content with a lone surrogate", { role: "user", content: "\ud800" }, "messages[0].content"],
    ["a negative timestamp", { role: "user", content: "x", timestamp: -1 }, "messages[0].timestamp"],
    ["a fractional timestamp", { role: "user", content: "x", timestamp: 1.5 }, "messages[0].timestamp"],
    ["a string timestamp", { role: "user", content: "x", timestamp: "2024" }, "messages[0].timestamp"],
    [
      "an unsafe timestamp",
      { role: "user", content: "x", timestamp: Number.MAX_SAFE_INTEGER + 1 },
      "messages[0].timestamp",
    ],
    ["array metadata", { role: "user", content: "x", metadata: [1] }, "messages[0].metadata"],
    [
      "non-JSON metadata",
      { role: "user", content: "x", metadata: { at: new Date(0) } },
      "messages[0].metadata.at",
    ],
  ])("rejects %s", (_label, message, field) => {
    expectRejected(() => validateMessages(message), field);
  });

  it("names the index of the bad message in a list", () => {
    expectRejected(
      () =>
        validateMessages([
          { role: "user", content: "ok" },
          { role: "user", content: "ok" },
          { role: "nobody", content: "bad" },
        ]),
      "messages[2].role",
    );
  });
});

describe("validateSessionInit", () => {
  it("treats a missing init as empty", () => {
    expect(validateSessionInit(undefined)).toEqual({});
  });

  it("keeps every valid field", () => {
    const init = { sessionId: "s", userId: "u", agentId: "a", state: { n: 1 }, ttlSeconds: 60 };
    expect(validateSessionInit(init)).toEqual(init);
  });

  it.each([
    ["null", null, "init"],
    ["an array", [], "init"],
    ["a string", "s1", "init"],
    ["an empty sessionId", { sessionId: "" }, "sessionId"],
    ["a null userId", { userId: null }, "userId"],
    ["an agentId with a newline", { agentId: "a\n" }, "agentId"],
    ["array state", { state: [] }, "state"],
    ["state holding NaN", { state: { n: Number.NaN } }, "state.n"],
    ["ttlSeconds 0", { ttlSeconds: 0 }, "ttlSeconds"],
    ["fractional ttlSeconds", { ttlSeconds: 0.5 }, "ttlSeconds"],
    ["a misspelt field", { sessionID: "s1" }, "init.sessionID"],
    ["a field create sets itself", { version: 2 }, "init.version"],
  ])("rejects %s", (_label, init, field) => {
    expectRejected(() => validateSessionInit(init), field);
  });
});

describe("validateSessionChanges", () => {
  it("accepts empty changes, state, and lastToolCall as a name or null", () => {
    expect(validateSessionChanges({})).toEqual({});
    expect(validateSessionChanges({ state: { a: [1] } })).toEqual({ state: { a: [1] } });
    expect(validateSessionChanges({ lastToolCall: "search" })).toEqual({ lastToolCall: "search" });
    expect(validateSessionChanges({ lastToolCall: null })).toEqual({ lastToolCall: null });
  });

  it.each([
    ["null", null, "changes"],
    ["an array", [], "changes"],
    ["a field that cannot change", { version: 3 }, "changes.version"],
    ["a misspelt field", { State: {} }, "changes.State"],
    ["array state", { state: [1] }, "state"],
    ["an empty lastToolCall", { lastToolCall: "" }, "lastToolCall"],
    ["an over-long lastToolCall", { lastToolCall: "t".repeat(LIMITS.maxToolNameLength + 1) }, "lastToolCall"],
    ["a numeric lastToolCall", { lastToolCall: 7 }, "lastToolCall"],
  ])("rejects %s", (_label, changes, field) => {
    expectRejected(() => validateSessionChanges(changes), field);
  });

  it("rejects state with a cycle", () => {
    const state: { a: { b: unknown[] } } = { a: { b: [] } };
    state.a.b.push(state);
    expectRejected(() => validateSessionChanges({ state }), "state.a.b[0]");
  });
});

describe("validatePreferenceChanges", () => {
  it("accepts JSON values and undefined (remove the key)", () => {
    const changes = { theme: "dark", fontSize: 14, removed: undefined, nested: { a: [true] } };
    expect(validatePreferenceChanges(changes)).toEqual(changes);
  });

  it.each([
    ["null", null, "changes"],
    ["an array", [["k", 1]], "changes"],
    ["a string", "theme=dark", "changes"],
    ["a NaN value", { size: Number.NaN }, "changes.size"],
    ["a function value", { f: () => 1 }, "changes.f"],
    ["a Date value", { at: new Date(0) }, "changes.at"],
    ["a nested bad value", { a: { b: [1n] } }, "changes.a.b[0]"],
    ["a key with a lone surrogate", { "k\ud800": 1 }, "changes.k\ud800"],
  ])("rejects %s", (_label, changes, field) => {
    expectRejected(() => validatePreferenceChanges(changes), field);
  });

  it("rejects symbol keys, as validateJsonObject does for `set`", () => {
    expectRejected(() => validatePreferenceChanges({ [Symbol("k")]: 1 }), "changes");
  });

  it("rejects a value that refers back to the changes object", () => {
    const changes: Record<string, unknown> = {};
    changes.loop = { back: changes };
    expectRejected(() => validatePreferenceChanges(changes), "changes.loop.back");
  });

  it("limits depth exactly as `set` does: the changes object is depth 0, like the values object", () => {
    // What patch stores is `values` with these keys; it must not accept what `set` would reject.
    const deepest = { k: nestedObject(31) };
    const tooDeep = { k: nestedObject(32) };
    expect(() => validateJsonObject("values", deepest)).not.toThrow();
    expectRejected(() => validateJsonObject("values", tooDeep));
    expect(() => validatePreferenceChanges(deepest)).not.toThrow();
    expectRejected(() => validatePreferenceChanges(tooDeep));
  });
});

describe("option parsers shared by every backend", () => {
  it("fill in defaults", () => {
    expect(parseGetOptions(undefined)).toBeUndefined();
    expect(parseGetOptions({ recentMessages: 0 })).toBe(0);
    expect(parseUpdateOptions({})).toBeUndefined();
    expect(parseUpdateOptions({ expectedVersion: 3 })).toBe(3);
    expect(parsePageOptions(undefined)).toEqual({ limit: 50, cursor: undefined });
    expect(parseMessagesOptions({ limit: 7, cursor: "c", order: "desc" })).toEqual({
      limit: 7,
      cursor: "c",
      order: "desc",
    });
    expect(parseMessagesOptions(undefined)).toEqual({ limit: 50, cursor: undefined, order: "asc" });
  });

  it("reject bad values with the field named", () => {
    expect(rejection(() => parseGetOptions({ recentMessages: -1 })).field).toBe("recentMessages");
    expect(rejection(() => parseUpdateOptions({ expectedVersion: 0 })).field).toBe("expectedVersion");
    expect(rejection(() => parsePageOptions({ limit: 0 })).field).toBe("limit");
    expect(rejection(() => parseMessagesOptions({ order: "up" as "asc" })).field).toBe("order");
  });
});

describe("input whose reading throws", () => {
  const boom = new Error("caller code threw");
  const getter = (name = "a") =>
    Object.defineProperty({}, name, {
      enumerable: true,
      get() {
        throw boom;
      },
    });

  it("is a ValidationError on the field, the thrown error as cause", () => {
    const error = rejection(() =>
      validateJson("state", { nested: getter() }),
    ) as unknown as ValidationErrorLike;
    expect(error).toMatchObject({ code: "VALIDATION", name: "ValidationError", field: "state" });
    expect(error.cause).toBe(boom);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expectRejected(() => validateJsonObject("values", proxy), "values");
    expectRejected(() => validateSessionInit(proxy), "init");
    expectRejected(
      () =>
        validateMessages(
          new Proxy([], {
            get: () => {
              throw boom;
            },
          }),
        ),
      "messages",
    );
    expectRejected(() => parseUpdateOptions(getter("expectedVersion") as never), "opts");
  });

  it("whatever a getter throws, or returns that is not JSON, is VALIDATION", () => {
    const own = Object.defineProperty({}, "a", {
      enumerable: true,
      get() {
        throw new RangeError("not ours");
      },
    });
    expect(rejection(() => validateJson("v", own)).code).toBe("VALIDATION");
    const typed = Object.defineProperty({}, "a", {
      enumerable: true,
      get() {
        return 1n;
      },
    });
    expect(rejection(() => validateJson("v", typed)).field).toBe("v.a");
  });
});

describe("LIMITS.maxValueBytes", () => {
  const objectOfSize = (bytes: number) => ({ s: "a".repeat(bytes - 8) });

  it("holds state, preference values and changes to their JSON size", () => {
    expect(() => validateSessionInit({ state: objectOfSize(LIMITS.maxValueBytes) })).not.toThrow();
    expect(
      rejection(() => validateSessionInit({ state: objectOfSize(LIMITS.maxValueBytes + 1) })),
    ).toMatchObject({
      code: "ITEM_TOO_LARGE",
      sizeBytes: LIMITS.maxValueBytes + 1,
    });
    expect(
      rejection(() => validateSessionChanges({ state: objectOfSize(LIMITS.maxValueBytes + 1) })).code,
    ).toBe("ITEM_TOO_LARGE");
    expect(rejection(() => validatePreferenceChanges(objectOfSize(LIMITS.maxValueBytes + 1))).code).toBe(
      "ITEM_TOO_LARGE",
    );
    expect(() => validatePreferenceChanges(objectOfSize(LIMITS.maxValueBytes))).not.toThrow();
  });

  it("measures a merge of entries exactly as JSON.stringify of the merged object", () => {
    const values = { a: 1, __proto__: { x: "é" }, b: [true, null] };
    const entries = Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)] as [string, string]);
    expect(preferenceValuesBytes(entries)).toBe(Buffer.byteLength(JSON.stringify(values)));
    expect(preferenceValuesBytes([])).toBe(2);
    const merged = mergePreferenceValues({ a: 1, b: 2 }, { a: undefined, c: 3 });
    expect(merged).toEqual({ b: 2, c: 3 });
  });
});

interface ValidationErrorLike {
  code: string;
  cause: unknown;
}
