import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import type { Json, StateStore } from "../types.js";
import { codeOf, SLOW_TEST_TIMEOUT_MS, type StateStoreContractOptions, useStore } from "./harness.js";

// Deliberately ill-typed inputs, as an untyped caller (or JSON from the wire) would send them.
// biome-ignore lint/suspicious/noExplicitAny: the point is to bypass the types
type Loose = any;

function cyclic(): Loose {
  const value: Loose = { a: 1 };
  value.self = value;
  return value;
}

function nested(depth: number): Loose {
  let value: Loose = "leaf";
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
}

/** An object whose one enumerable property has a getter that throws. */
function throwingGetter(): Loose {
  return Object.defineProperty({}, "boom", {
    enumerable: true,
    get() {
      throw new Error("getter threw");
    },
  });
}

/** A Proxy over an object (or an array) whose `trap` throws. */
function throwingProxy(
  trap: "ownKeys" | "getPrototypeOf" | "get" | "getOwnPropertyDescriptor",
  target: object = { a: 1 },
): Loose {
  return new Proxy(target, {
    [trap]() {
      throw new Error(`${trap} trap threw`);
    },
  });
}

/** A revoked Proxy: every operation on it throws a TypeError. */
function revoked(): Loose {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const T = "bad-target";
const NEW = "bad-new";

const BAD_INPUTS: Array<[string, (s: StateStore) => Promise<unknown>]> = [
  ["create: empty session id", (s) => s.sessions.create({ sessionId: "" })],
  ["create: 257-character session id", (s) => s.sessions.create({ sessionId: "x".repeat(257) })],
  ["create: newline in session id", (s) => s.sessions.create({ sessionId: `${NEW}\n` })],
  ["create: NUL in session id", (s) => s.sessions.create({ sessionId: `${NEW}\u0000` })],
  ["create: non-string session id", (s) => s.sessions.create({ sessionId: 42 as Loose })],
  ["create: empty user id", (s) => s.sessions.create({ sessionId: NEW, userId: "" })],
  ["create: tab in agent id", (s) => s.sessions.create({ sessionId: NEW, agentId: "a\tb" })],
  ["create: NaN in state", (s) => s.sessions.create({ sessionId: NEW, state: { n: Number.NaN } })],
  [
    "create: Infinity in state",
    (s) => s.sessions.create({ sessionId: NEW, state: { n: Number.POSITIVE_INFINITY } }),
  ],
  ["create: BigInt in state", (s) => s.sessions.create({ sessionId: NEW, state: { n: 10n as Loose } })],
  [
    "create: function in state",
    (s) => s.sessions.create({ sessionId: NEW, state: { f: (() => 1) as Loose } }),
  ],
  ["create: cycle in state", (s) => s.sessions.create({ sessionId: NEW, state: cyclic() })],
  ["create: state is an array", (s) => s.sessions.create({ sessionId: NEW, state: [1, 2] as Loose })],
  ["create: Date in state", (s) => s.sessions.create({ sessionId: NEW, state: { d: new Date() as Loose } })],
  [
    "create: undefined in state",
    (s) => s.sessions.create({ sessionId: NEW, state: { u: undefined as Loose } }),
  ],
  ["create: lone surrogate in state", (s) => s.sessions.create({ sessionId: NEW, state: { s: "a\ud800b" } })],
  ["create: state nested 40 deep", (s) => s.sessions.create({ sessionId: NEW, state: nested(40) })],
  ["create: ttlSeconds 0", (s) => s.sessions.create({ sessionId: NEW, ttlSeconds: 0 })],
  ["create: ttlSeconds -5", (s) => s.sessions.create({ sessionId: NEW, ttlSeconds: -5 })],
  ["create: ttlSeconds NaN", (s) => s.sessions.create({ sessionId: NEW, ttlSeconds: Number.NaN })],
  ["create: unknown field", (s) => s.sessions.create({ sessionId: NEW, version: 5 } as Loose)],
  ["create: ttlSeconds 1.5", (s) => s.sessions.create({ sessionId: NEW, ttlSeconds: 1.5 })],
  ["update: NaN in state", (s) => s.sessions.update(T, { state: { n: Number.NaN } })],
  ["update: Map as state", (s) => s.sessions.update(T, { state: new Map() as Loose })],
  ["update: unknown field", (s) => s.sessions.update(T, { version: 9 } as Loose)],
  ["update: expectedVersion 0", (s) => s.sessions.update(T, { state: { a: 1 } }, { expectedVersion: 0 })],
  ["update: expectedVersion 1.5", (s) => s.sessions.update(T, { state: { a: 1 } }, { expectedVersion: 1.5 })],
  ["update: control character in lastToolCall", (s) => s.sessions.update(T, { lastToolCall: "a\u0007" })],
  ["update: empty session id", (s) => s.sessions.update("", { state: {} })],
  ["append: unknown role", (s) => s.sessions.append(T, { role: "robot" as Loose, content: "x" })],
  ["append: numeric content", (s) => s.sessions.append(T, { role: "user", content: 5 as Loose })],
  ["append: missing content", (s) => s.sessions.append(T, { role: "user" } as Loose)],
  ["append: empty list", (s) => s.sessions.append(T, [])],
  [
    `append: ${LIMITS.maxMessagesPerAppend + 1} messages`,
    (s) => s.sessions.append(T, Array(LIMITS.maxMessagesPerAppend + 1).fill({ role: "user", content: "x" })),
  ],
  [
    "append: NaN timestamp",
    (s) => s.sessions.append(T, { role: "user", content: "x", timestamp: Number.NaN }),
  ],
  [
    "append: Symbol in metadata",
    (s) => s.sessions.append(T, { role: "user", content: "x", metadata: { s: Symbol() as Loose } }),
  ],
  [
    "append: one good message and one bad one (nothing of the batch is written)",
    (s) =>
      s.sessions.append(T, [
        { role: "user", content: "good" },
        { role: "user", content: "bad", metadata: { n: Number.NEGATIVE_INFINITY } },
      ]),
  ],
  ["messages: limit 0", (s) => s.sessions.messages(T, { limit: 0 })],
  ["messages: limit -1", (s) => s.sessions.messages(T, { limit: -1 })],
  ["messages: limit 2.5", (s) => s.sessions.messages(T, { limit: 2.5 })],
  ["messages: limit 1001", (s) => s.sessions.messages(T, { limit: 1001 })],
  ["messages: garbage cursor", (s) => s.sessions.messages(T, { cursor: "not-a-cursor" })],
  ["messages: empty cursor", (s) => s.sessions.messages(T, { cursor: "" })],
  ["messages: unknown order", (s) => s.sessions.messages(T, { order: "sideways" as Loose })],
  ["get: recentMessages -1", (s) => s.sessions.get(T, { recentMessages: -1 })],
  ["get: session id with DEL", (s) => s.sessions.get("a\u007f")],
  ["listByUser: limit 0", (s) => s.sessions.listByUser("u", { limit: 0 })],
  ["listByUser: garbage cursor", (s) => s.sessions.listByUser("u", { cursor: "zzz" })],
  ["delete: empty id", (s) => s.sessions.delete("")],
  ["toolCache.set: ttlSeconds 0", (s) => s.toolCache.set("bad-tool", { never: 1 }, 1, { ttlSeconds: 0 })],
  ["toolCache.set: missing ttl", (s) => s.toolCache.set("bad-tool", { never: 1 }, 1, {} as Loose)],
  [
    "toolCache.set: NaN value",
    (s) => s.toolCache.set("bad-tool", { never: 1 }, Number.NaN, { ttlSeconds: 60 }),
  ],
  [
    "toolCache.set: undefined value",
    (s) => s.toolCache.set("bad-tool", { never: 1 }, undefined as Loose, { ttlSeconds: 60 }),
  ],
  [
    "toolCache.set: BigInt in params",
    (s) => s.toolCache.set("bad-tool", { never: 1n as Loose }, 1, { ttlSeconds: 60 }),
  ],
  ["toolCache.set: empty tool name", (s) => s.toolCache.set("", { never: 1 }, 1, { ttlSeconds: 60 })],
  ["toolCache.get: 129-character tool name", (s) => s.toolCache.get("t".repeat(129), {})],
  ["toolCache.get: params not an object", (s) => s.toolCache.get("bad-tool", "q" as Loose)],
  ["toolCache.invalidate: newline in tool name", (s) => s.toolCache.invalidate("bad\ntool")],
  ["preferences.set: control character in user id", (s) => s.preferences.set("u\u0001", "a", { x: 1 })],
  ["preferences.set: values null", (s) => s.preferences.set("bad-u", "a", null as Loose)],
  ["preferences.set: ttlSeconds 0", (s) => s.preferences.set("bad-u", "a", { x: 1 }, { ttlSeconds: 0 })],
  [
    "preferences.patch: Infinity value",
    (s) => s.preferences.patch("bad-u", "a", { x: Number.POSITIVE_INFINITY }),
  ],
  ["preferences.patch: empty agent id", (s) => s.preferences.patch("bad-u", "", { x: 1 })],
  ["preferences.get: 300-character user id", (s) => s.preferences.get("u".repeat(300), "a")],
  // Input whose reading runs caller code that throws: VALIDATION, not the caller's plain error.
  [
    "create: state with a throwing getter",
    (s) => s.sessions.create({ sessionId: NEW, state: throwingGetter() }),
  ],
  ["create: init with a throwing getter", (s) => s.sessions.create(throwingGetter())],
  ["create: state a revoked Proxy", (s) => s.sessions.create({ sessionId: NEW, state: revoked() })],
  [
    "create: state Proxy, ownKeys throws",
    (s) => s.sessions.create({ sessionId: NEW, state: throwingProxy("ownKeys") }),
  ],
  [
    "create: state Proxy, getPrototypeOf throws",
    (s) => s.sessions.create({ sessionId: NEW, state: throwingProxy("getPrototypeOf") }),
  ],
  ["create: options a revoked Proxy", (s) => s.sessions.create(revoked())],
  ["update: state Proxy, get throws", (s) => s.sessions.update(T, { state: throwingProxy("get") })],
  ["update: changes with a throwing getter", (s) => s.sessions.update(T, throwingGetter())],
  [
    "update: opts with a throwing expectedVersion",
    (s) =>
      s.sessions.update(
        T,
        { state: { a: 1 } },
        Object.defineProperty({}, "expectedVersion", {
          get() {
            throw new Error("getter threw");
          },
        }),
      ),
  ],
  [
    "append: metadata Proxy, getOwnPropertyDescriptor throws",
    (s) =>
      s.sessions.append(T, {
        role: "user",
        content: "x",
        metadata: throwingProxy("getOwnPropertyDescriptor"),
      }),
  ],
  ["append: message a revoked Proxy", (s) => s.sessions.append(T, revoked())],
  ["append: list Proxy, get throws", (s) => s.sessions.append(T, throwingProxy("get", []))],
  ["messages: opts a revoked Proxy", (s) => s.sessions.messages(T, revoked())],
  ["get: opts a revoked Proxy", (s) => s.sessions.get(T, revoked())],
  [
    "toolCache.set: value with a throwing getter",
    (s) => s.toolCache.set("bad-tool", { never: 1 }, throwingGetter(), { ttlSeconds: 60 }),
  ],
  [
    "toolCache.set: params Proxy, ownKeys throws",
    (s) => s.toolCache.set("bad-tool", throwingProxy("ownKeys"), 1, { ttlSeconds: 60 }),
  ],
  ["toolCache.set: opts a revoked Proxy", (s) => s.toolCache.set("bad-tool", { never: 1 }, 1, revoked())],
  ["toolCache.get: params with a throwing getter", (s) => s.toolCache.get("bad-tool", throwingGetter())],
  [
    "preferences.set: values with a throwing getter",
    (s) => s.preferences.set("bad-u", "a", throwingGetter()),
  ],
  ["preferences.set: opts a revoked Proxy", (s) => s.preferences.set("bad-u", "a", { x: 1 }, revoked())],
  [
    "preferences.patch: changes Proxy, get throws",
    (s) => s.preferences.patch("bad-u", "a", throwingProxy("get")),
  ],
  [
    "records.write: value with a throwing getter",
    (s) => s.records.write("bad-scope", [{ put: "k", value: throwingGetter() }]),
  ],
  ["records.write: ops a revoked Proxy", (s) => s.records.write("bad-scope", revoked())],
  ["records.get: keys Proxy, get throws", (s) => s.records.get("bad-scope", throwingProxy("get", ["k"]))],
  ["records.range: opts with a throwing getter", (s) => s.records.range("bad-scope", throwingGetter())],
];

/** Bad input gets a VALIDATION error before anything is written; oversized values never half-write. */
export function describeBadInputContract(options: StateStoreContractOptions): void {
  describe("bad input", () => {
    const t = useStore(options);

    async function snapshot(store: StateStore) {
      return {
        session: await store.sessions.get(T, { recentMessages: 10 }),
        newSession: await store.sessions.get(NEW),
        prefs: await store.preferences.get("bad-u", "a"),
        listed: (await store.sessions.listByUser("bad-user")).items.map((s) => s.sessionId),
      };
    }

    it(`rejects each of ${BAD_INPUTS.length} bad inputs with VALIDATION and writes nothing`, async () => {
      await t.store.sessions.create({ sessionId: T, userId: "bad-user", state: { ok: true } });
      await t.store.sessions.append(T, { role: "user", content: "first" });
      await t.store.preferences.set("bad-u", "a", { keep: 1 });
      const before = await snapshot(t.store);
      const failures: string[] = [];
      for (const [name, act] of BAD_INPUTS) {
        const code = await codeOf(act(t.store));
        if (code !== "VALIDATION") failures.push(`${name}: got ${code}`);
      }
      expect(failures).toEqual([]);
      expect(await snapshot(t.store)).toEqual(before);
      expect(await t.store.toolCache.get("bad-tool", { never: 1 })).toBeNull();
      expect((await t.store.records.range("bad-scope")).items).toEqual([]);
    });

    it("errors carry a stable code, a message, and extend Error", async () => {
      const error = await t.store.sessions.create({ sessionId: "" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ code: "VALIDATION" });
      expect(String((error as Error).message).length).toBeGreaterThan(0);
    });

    it(
      "a 600 KB value (past a DynamoDB item) round-trips exactly on every backend: state, message, cache value, preference",
      async () => {
        const huge = "x".repeat(600 * 1024);
        const s = await t.store.sessions.create({ sessionId: "big" });

        await t.store.sessions.create({ sessionId: "big-create", state: { huge } });
        expect((await t.store.sessions.get("big-create"))?.state).toEqual({ huge });

        await t.store.sessions.update(s.sessionId, { state: { huge } });
        expect(await t.store.sessions.get(s.sessionId)).toMatchObject({ state: { huge }, version: 2 });

        await t.store.sessions.append(s.sessionId, [
          { role: "user", content: "small" },
          { role: "assistant", content: huge },
        ]);
        const page = await t.store.sessions.messages(s.sessionId);
        expect(page.items.map((m) => m.content)).toEqual(["small", huge]);
        expect((await t.store.sessions.get(s.sessionId))?.messageCount).toBe(2);

        await t.store.toolCache.set("big-tool", {}, huge as Json, { ttlSeconds: 60 });
        expect((await t.store.toolCache.get("big-tool", {}))?.value).toBe(huge);

        await t.store.preferences.set("big-u", "a", { small: 1 });
        await t.store.preferences.patch("big-u", "a", { huge });
        expect((await t.store.preferences.get("big-u", "a"))?.values).toEqual({ small: 1, huge });
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
