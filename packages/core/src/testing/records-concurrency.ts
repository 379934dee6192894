import { describe, expect, it } from "vitest";
import type { MessageInput } from "../types.js";
import { SLOW_TEST_TIMEOUT_MS, type StateStoreContractOptions, settle, useStore } from "./harness.js";

const PARALLEL = 24;

const one = (content: string): MessageInput => ({ role: "user", content });

/** Concurrency of records, truncation and the append options: dozens of calls in flight at once. */
export function describeRecordsConcurrencyContract(options: StateStoreContractOptions): void {
  describe("records and truncation concurrency", () => {
    const t = useStore(options);

    it(
      "of concurrent puts with ifVersion 0 on one key exactly one wins; the rest see version 1",
      async () => {
        const { fulfilled, rejected } = await settle(
          Array.from({ length: PARALLEL }, (_, i) =>
            t.store.records.write("race", [{ put: "lock", value: { owner: i }, ifVersion: 0 }]),
          ),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(PARALLEL - 1);
        for (const error of rejected) {
          expect(error).toMatchObject({ code: "VERSION_CONFLICT", key: "lock", actualVersion: 1 });
        }
        const [stored] = await t.store.records.get("race", ["lock"]);
        expect(stored).toEqual(fulfilled[0]?.[0]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "of concurrent compare-and-set puts from one version exactly one wins, every round",
      async () => {
        await t.store.records.write("cas-race", [{ put: "counter", value: 0 }]);
        for (let round = 1; round <= 3; round++) {
          const { fulfilled } = await settle(
            Array.from({ length: 8 }, () =>
              t.store.records.write("cas-race", [{ put: "counter", value: round, ifVersion: round }]),
            ),
          );
          expect(fulfilled).toHaveLength(1);
        }
        const [stored] = await t.store.records.get("cas-race", ["counter"]);
        expect(stored).toMatchObject({ value: 3, version: 4 });
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent unconditional puts of one key all apply, each adding exactly 1 to the version",
      async () => {
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => t.store.records.write("bump", [{ put: "k", value: i }])),
        );
        expect(results.map((r) => r[0]?.version).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
          Array.from({ length: PARALLEL }, (_, i) => i + 1),
        );
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "readers during atomic batch writes see every batch whole or not at all",
      async () => {
        const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
        await t.store.records.write(
          "batches",
          keys.map((key) => ({ put: key, value: 0 })),
        );
        const torn: string[] = [];
        let writing = true;
        const writer = (async () => {
          for (let generation = 1; generation <= 12; generation++) {
            await t.store.records.write(
              "batches",
              keys.map((key) => ({ put: key, value: generation })),
              {
                atomic: true,
              },
            );
          }
          writing = false;
        })();
        const readers = Array.from({ length: 3 }, async () => {
          let reads = 0;
          while (writing || reads < 2) {
            reads++;
            const viaRange = (await t.store.records.range("batches")).items.map((r) => r.value);
            const viaGet = (await t.store.records.get("batches", keys)).map((r) => r?.value);
            for (const values of [viaRange, viaGet]) {
              if (new Set(values).size !== 1) torn.push(JSON.stringify(values));
            }
          }
        });
        await Promise.all([writer, ...readers]);
        expect(torn).toEqual([]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "of concurrent appends expecting the same last message exactly one wins",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const [first] = await t.store.sessions.append(sessionId, one("first"));
        const { fulfilled, rejected } = await settle(
          Array.from({ length: PARALLEL }, (_, i) =>
            t.store.sessions.append(sessionId, one(`reply ${i}`), { expectedLastMessageId: first!.id }),
          ),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(PARALLEL - 1);
        for (const error of rejected) {
          expect(error).toMatchObject({
            code: "VERSION_CONFLICT",
            expectedLastMessageId: first!.id,
            actualLastMessageId: fulfilled[0]?.[0]?.id,
          });
        }
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent appends with one idempotency key write once and all return the same messages",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const batch = [one("a"), one("b")];
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, () =>
            t.store.sessions.append(sessionId, batch, { idempotencyKey: "once" }),
          ),
        );
        for (const result of results) expect(result).toEqual(results[0]);
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
        expect((await t.store.sessions.messages(sessionId)).items).toEqual(results[0]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent truncates each remove distinct messages, and nothing is lost or removed twice",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const all = await t.store.sessions.append(
          sessionId,
          Array.from({ length: 30 }, (_, i) => one(`m${i}`)),
        );
        const removed = (
          await Promise.all(
            Array.from({ length: 10 }, () => t.store.sessions.truncate(sessionId, { removeLast: 2 })),
          )
        ).flat();
        expect(removed).toHaveLength(20);
        expect(new Set(removed.map((m) => m.id)).size).toBe(20);
        expect((await t.store.sessions.messages(sessionId)).items).toEqual(all.slice(0, 10));
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(10);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent appends and truncates: every message is either held or was returned by a truncate",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        await t.store.sessions.append(sessionId, [one("seed-0"), one("seed-1")]);
        const appends = Array.from({ length: 12 }, (_, i) =>
          t.store.sessions.append(sessionId, one(`a${i}`)),
        );
        const truncates = Array.from({ length: 6 }, () =>
          t.store.sessions.truncate(sessionId, { removeLast: 1 }),
        );
        const appended = (await Promise.all(appends)).flat();
        const removed = (await Promise.all(truncates)).flat();
        const held = (await t.store.sessions.messages(sessionId, { limit: 100 })).items;
        const heldIds = new Set(held.map((m) => m.id));
        for (const m of removed) expect(heldIds.has(m.id)).toBe(false);
        expect(held.length + removed.length).toBe(14);
        for (const m of appended) expect(heldIds.has(m.id) || removed.some((r) => r.id === m.id)).toBe(true);
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(held.length);
        const ids = held.map((m) => m.id);
        expect([...ids].sort()).toEqual(ids);
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
