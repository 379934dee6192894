import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import type { RecordOp, StateStore } from "../types.js";
import { codeOf, type StateStoreContractOptions, useStore } from "./harness.js";

// biome-ignore lint/suspicious/noExplicitAny: deliberately ill-typed input, as an untyped caller would send
type Loose = any;

const S = "bad-scope";
const T = "bad-records-session";
const put = (key: string, value: Loose = 1): RecordOp => ({ put: key, value });

const BAD_INPUTS: Array<[string, (s: StateStore) => Promise<unknown>]> = [
  ["records.get: empty scope", (s) => s.records.get("", ["k"])],
  ["records.get: scope over 512 bytes", (s) => s.records.get("é".repeat(257), ["k"])],
  ["records.get: NUL in scope", (s) => s.records.get("a\u0000b", ["k"])],
  ["records.get: lone surrogate in scope", (s) => s.records.get("a\ud800", ["k"])],
  ["records.get: keys not an array", (s) => s.records.get(S, "k" as Loose)],
  ["records.get: empty key", (s) => s.records.get(S, [""])],
  ["records.get: key over 512 bytes", (s) => s.records.get(S, ["k".repeat(513)])],
  ["records.get: numeric key", (s) => s.records.get(S, [5 as Loose])],
  [
    `records.get: ${LIMITS.maxRecordKeysPerGet + 1} keys`,
    (s) =>
      s.records.get(
        S,
        Array.from({ length: LIMITS.maxRecordKeysPerGet + 1 }, (_, i) => `k${i}`),
      ),
  ],
  ["records.range: limit 0", (s) => s.records.range(S, { limit: 0 })],
  ["records.range: limit 1001", (s) => s.records.range(S, { limit: 1001 })],
  ["records.range: order sideways", (s) => s.records.range(S, { order: "sideways" as Loose })],
  ["records.range: garbage cursor", (s) => s.records.range(S, { cursor: "garbage" })],
  ["records.range: control character in prefix", (s) => s.records.range(S, { prefix: "a\n" })],
  ["records.range: empty after", (s) => s.records.range(S, { after: "" })],
  ["records.range: unknown option", (s) => s.records.range(S, { reverse: true } as Loose)],
  ["records.write: ops not an array", (s) => s.records.write(S, put("k") as Loose)],
  ["records.write: no ops", (s) => s.records.write(S, [])],
  [
    `records.write: ${LIMITS.maxRecordOpsPerWrite + 1} ops`,
    (s) =>
      s.records.write(
        S,
        Array.from({ length: LIMITS.maxRecordOpsPerWrite + 1 }, (_, i) => put(`k${i}`)),
      ),
  ],
  ["records.write: same key twice", (s) => s.records.write(S, [put("dup"), { delete: "dup" }])],
  [
    "records.write: op with put and delete",
    (s) => s.records.write(S, [{ put: "k", delete: "k", value: 1 } as Loose]),
  ],
  ["records.write: op with neither", (s) => s.records.write(S, [{ value: 1 } as Loose])],
  ["records.write: put without value", (s) => s.records.write(S, [{ put: "k" } as Loose])],
  ["records.write: unknown op field", (s) => s.records.write(S, [{ put: "k", value: 1, ttl: 5 } as Loose])],
  ["records.write: NaN value", (s) => s.records.write(S, [put("k", Number.NaN)])],
  ["records.write: function value", (s) => s.records.write(S, [put("k", () => 1)])],
  ["records.write: Date value", (s) => s.records.write(S, [put("k", new Date())])],
  ["records.write: bytes nested in JSON", (s) => s.records.write(S, [put("k", { b: new Uint8Array(2) })])],
  ["records.write: Uint16Array value", (s) => s.records.write(S, [put("k", new Uint16Array(2))])],
  ["records.write: ArrayBuffer value", (s) => s.records.write(S, [put("k", new ArrayBuffer(2))])],
  ["records.write: ifVersion -1", (s) => s.records.write(S, [{ put: "k", value: 1, ifVersion: -1 }])],
  ["records.write: ifVersion 1.5", (s) => s.records.write(S, [{ delete: "k", ifVersion: 1.5 }])],
  ["records.write: ttlSeconds 0", (s) => s.records.write(S, [{ put: "k", value: 1, ttlSeconds: 0 }])],
  ["records.write: atomic 'yes'", (s) => s.records.write(S, [put("k")], { atomic: "yes" as Loose })],
  ["records.write: one good op and one bad one", (s) => s.records.write(S, [put("good"), put("bad", 10n)])],
  ["records.clear: empty scope", (s) => s.records.clear("")],
  ["truncate: removeLast -1", (s) => s.sessions.truncate(T, { removeLast: -1 })],
  ["truncate: removeLast 1.5", (s) => s.sessions.truncate(T, { removeLast: 1.5 })],
  ["truncate: both options", (s) => s.sessions.truncate(T, { removeLast: 1, afterMessageId: "m" } as Loose)],
  ["truncate: no option", (s) => s.sessions.truncate(T, {} as Loose)],
  ["truncate: empty afterMessageId", (s) => s.sessions.truncate(T, { afterMessageId: "" })],
  ["truncate: unknown afterMessageId", (s) => s.sessions.truncate(T, { afterMessageId: "no-such-id" })],
  ["truncate: empty session id", (s) => s.sessions.truncate("", { removeLast: 1 })],
  [
    "append: numeric expectedLastMessageId",
    (s) => s.sessions.append(T, { role: "user", content: "x" }, { expectedLastMessageId: 3 as Loose }),
  ],
  [
    "append: empty idempotencyKey",
    (s) => s.sessions.append(T, { role: "user", content: "x" }, { idempotencyKey: "" }),
  ],
  [
    "append: unknown option",
    (s) => s.sessions.append(T, { role: "user", content: "x" }, { ifMatch: "m" } as Loose),
  ],
  [
    "append: idempotency key reused for other messages",
    (s) => s.sessions.append(T, { role: "user", content: "different" }, { idempotencyKey: "used" }),
  ],
];

/** Bad input to records, truncate and the append options: VALIDATION, and nothing written. */
export function describeRecordsBadInputContract(options: StateStoreContractOptions): void {
  describe("bad input: records, truncation, append options", () => {
    const t = useStore(options);

    it(`rejects each of ${BAD_INPUTS.length} bad inputs with VALIDATION and writes nothing`, async () => {
      await t.store.records.write(S, [put("k", "kept")]);
      await t.store.sessions.create({ sessionId: T });
      await t.store.sessions.append(T, { role: "user", content: "first" }, { idempotencyKey: "used" });
      const snapshot = async () => ({
        records: await t.store.records.range(S),
        session: await t.store.sessions.get(T, { recentMessages: 10 }),
      });
      const before = await snapshot();
      const failures: string[] = [];
      for (const [name, act] of BAD_INPUTS) {
        const code = await codeOf(act(t.store));
        if (code !== "VALIDATION") failures.push(`${name}: got ${code}`);
      }
      expect(failures).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });

    it("getters are read once: what was checked is what is stored", async () => {
      let reads = 0;
      const sneaky = {
        get value() {
          reads++;
          return reads === 1 ? "checked" : (10n as Loose);
        },
      };
      const [stored] = await t.store.records.write(S, [{ put: "getter", value: sneaky as Loose }]);
      expect(stored?.value).toEqual({ value: "checked" });
      expect((await t.store.records.get(S, ["getter"]))[0]?.value).toEqual({ value: "checked" });
      let stateReads = 0;
      const state = {
        get n() {
          stateReads++;
          return stateReads === 1 ? 1 : (Number.NaN as Loose);
        },
      };
      const session = await t.store.sessions.create({ state });
      expect((await t.store.sessions.get(session.sessionId))?.state).toEqual({ n: 1 });
    });
  });
}
