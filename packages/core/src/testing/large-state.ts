import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical.js";
import { LIMITS } from "../limits.js";
import type { Json } from "../types.js";
import { codeOf, SLOW_TEST_TIMEOUT_MS, type StateStoreContractOptions, settle, useStore } from "./harness.js";
import { incompressible, objectOfSize } from "./sized.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const MAX = LIMITS.maxValueBytes;

/** Deep equality (object key order aside, as `toEqual`) without printing megabytes when it fails. */
function same(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && canonicalJson(a as Json) === canonicalJson(b as Json);
}

/**
 * Session state, tool-cache values and preference records up to `LIMITS.maxValueBytes` (measured on their
 * JSON text) round-trip exactly on every backend, compressible or not; one byte more throws ITEM_TOO_LARGE
 * and writes nothing. Large states keep `update`'s guarantees: versioned, whole, one winner.
 */
export function describeLargeStateContract(options: StateStoreContractOptions): void {
  describe("large state, cache values and preferences", () => {
    const t = useStore(options);

    it(
      "a session state of exactly the maximum round-trips through create, update, get and listByUser; one byte more is ITEM_TOO_LARGE",
      async () => {
        const atMax = objectOfSize(MAX);
        const created = await t.store.sessions.create({
          sessionId: "max-state",
          userId: "big",
          state: atMax,
        });
        expect(same(created.state, atMax)).toBe(true);
        expect(same((await t.store.sessions.get("max-state"))?.state, atMax)).toBe(true);
        const listed = await t.store.sessions.listByUser("big");
        expect(same(listed.items[0]?.state, atMax)).toBe(true);

        const compressible = objectOfSize(MAX, (n) => "a".repeat(n));
        const updated = await t.store.sessions.update("max-state", { state: compressible });
        expect(updated.version).toBe(2);
        expect(same(updated.state, compressible)).toBe(true);
        const recent = await t.store.sessions.get("max-state", { recentMessages: 5 });
        expect(same(recent?.state, compressible)).toBe(true);

        const over = objectOfSize(MAX + 1);
        expect(await codeOf(t.store.sessions.update("max-state", { state: over }))).toBe("ITEM_TOO_LARGE");
        expect(await codeOf(t.store.sessions.create({ sessionId: "over-state", state: over }))).toBe(
          "ITEM_TOO_LARGE",
        );
        const after = await t.store.sessions.get("max-state");
        expect(after?.version).toBe(2);
        expect(same(after?.state, compressible)).toBe(true);
        expect(await t.store.sessions.get("over-state")).toBeNull();
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "a state moves between small and large and back, and a large one dies with its session",
      async () => {
        const { sessionId } = await t.store.sessions.create({ state: { small: 1 } });
        const sizes = [2 * MiB, 3 * KiB, 600 * KiB, 10, 1 * MiB];
        let version = 1;
        for (const size of sizes) {
          const state = objectOfSize(Math.max(size, 16));
          const updated = await t.store.sessions.update(
            sessionId,
            { state, lastToolCall: "grow" },
            { expectedVersion: version },
          );
          version++;
          expect(updated.version).toBe(version);
          const read = await t.store.sessions.get(sessionId);
          expect(read?.version).toBe(version);
          expect(same(read?.state, state)).toBe(true);
          expect(read?.lastToolCall).toBe("grow");
        }
        await t.store.sessions.append(sessionId, { role: "user", content: "still here" });
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(1);
        expect(await t.store.sessions.delete(sessionId)).toBe(true);
        const reborn = await t.store.sessions.create({ sessionId });
        expect(reborn.state).toEqual({});
        expect((await t.store.sessions.get(sessionId))?.state).toEqual({});
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent updates of a large state with one expectedVersion: exactly one wins and its state is read whole",
      async () => {
        const { sessionId } = await t.store.sessions.create({ state: objectOfSize(1 * MiB) });
        const candidates = Array.from({ length: 4 }, () => objectOfSize(1536 * KiB));
        const { fulfilled, rejected } = await settle(
          candidates.map((state) => t.store.sessions.update(sessionId, { state }, { expectedVersion: 1 })),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected.map((e) => (e as { code?: string }).code)).toEqual([
          "VERSION_CONFLICT",
          "VERSION_CONFLICT",
          "VERSION_CONFLICT",
        ]);
        const winner = candidates.find((state) => same(state, fulfilled[0]?.state));
        expect(winner).toBeDefined();
        const read = await t.store.sessions.get(sessionId);
        expect(read?.version).toBe(2);
        expect(same(read?.state, winner)).toBe(true);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "readers during unconditional updates of a large state see one whole state each, never a mix",
      async () => {
        const states = Array.from({ length: 4 }, (_, i) => ({ writer: i, ...objectOfSize(800 * KiB) }));
        const { sessionId } = await t.store.sessions.create({ state: states[0] as Record<string, Json> });
        const known = new Set(states.map((s) => JSON.stringify(s)));
        let writing = true;
        const reads: string[] = [];
        const reader = (async () => {
          while (writing) {
            const session = await t.store.sessions.get(sessionId);
            reads.push(JSON.stringify(session?.state));
          }
        })();
        try {
          for (let round = 0; round < 2; round++) {
            await Promise.all(states.map((state) => t.store.sessions.update(sessionId, { state })));
          }
        } finally {
          writing = false;
          await reader;
        }
        expect(reads.length).toBeGreaterThan(0);
        expect(reads.every((r) => known.has(r))).toBe(true);
        const final = await t.store.sessions.get(sessionId);
        expect(final?.version).toBe(9);
        expect(known.has(JSON.stringify(final?.state))).toBe(true);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "a tool-cache value of exactly the maximum round-trips and counts hits; one byte more is ITEM_TOO_LARGE",
      async () => {
        const atMax = incompressible(MAX - 2); // a JSON string: its two quotes make the maximum
        await t.store.toolCache.set("big-tool", { q: 1 }, atMax, { ttlSeconds: 600 });
        const first = await t.store.toolCache.get<string>("big-tool", { q: 1 });
        expect(first?.value === atMax).toBe(true);
        expect(first?.hitCount).toBe(1);
        expect((await t.store.toolCache.get("big-tool", { q: 1 }))?.hitCount).toBe(2);
        const small = { replaced: true };
        await t.store.toolCache.set("big-tool", { q: 1 }, small, { ttlSeconds: 600 });
        expect((await t.store.toolCache.get("big-tool", { q: 1 }))?.value).toEqual(small);

        const over = `${atMax}x`;
        expect(await codeOf(t.store.toolCache.set("big-tool", { q: 2 }, over, { ttlSeconds: 600 }))).toBe(
          "ITEM_TOO_LARGE",
        );
        expect(await t.store.toolCache.get("big-tool", { q: 2 })).toBeNull();
        const compressible = { list: Array.from({ length: 1000 }, () => "b".repeat(1024)) };
        await t.store.toolCache.set("big-tool", { q: 3 }, compressible, { ttlSeconds: 600 });
        expect(same((await t.store.toolCache.get("big-tool", { q: 3 }))?.value, compressible)).toBe(true);
        await t.store.toolCache.invalidate("big-tool");
        expect(await t.store.toolCache.get("big-tool", { q: 3 })).toBeNull();
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "preference values of exactly the maximum round-trip through set and patch; one byte more is ITEM_TOO_LARGE",
      async () => {
        const atMax = objectOfSize(MAX);
        const set = await t.store.preferences.set("big-u", "a", atMax);
        expect(same(set.values, atMax)).toBe(true);
        expect(same((await t.store.preferences.get("big-u", "a"))?.values, atMax)).toBe(true);

        // {"s":"…","k":1} is 6 bytes more than {"s":"…"}: a patch adding it to a record 5 bytes short is over.
        expect(await codeOf(t.store.preferences.set("big-u", "a", objectOfSize(MAX + 1)))).toBe(
          "ITEM_TOO_LARGE",
        );
        const shortBy5 = objectOfSize(MAX - 5);
        await t.store.preferences.set("big-u", "b", shortBy5);
        expect(await codeOf(t.store.preferences.patch("big-u", "b", { k: 1 }))).toBe("ITEM_TOO_LARGE");
        const unchanged = await t.store.preferences.get("big-u", "b");
        expect(unchanged?.version).toBe(1);
        expect(same(unchanged?.values, shortBy5)).toBe(true);

        const shortBy6 = objectOfSize(MAX - 6);
        await t.store.preferences.set("big-u", "c", shortBy6);
        const patched = await t.store.preferences.patch("big-u", "c", { k: 1 });
        expect(same(patched.values, { ...shortBy6, k: 1 })).toBe(true);
        const read = await t.store.preferences.get("big-u", "c");
        expect(read?.version).toBe(2);
        expect(same(read?.values, { ...shortBy6, k: 1 })).toBe(true);

        // Replacing the large value with a small one shrinks the record back.
        const shrunk = await t.store.preferences.patch("big-u", "c", { s: "small", more: [1, 2] });
        expect(shrunk.values).toEqual({ s: "small", k: 1, more: [1, 2] });
        expect((await t.store.preferences.get("big-u", "c"))?.values).toEqual({
          s: "small",
          k: 1,
          more: [1, 2],
        });
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent patches of different keys of a large preference record all survive",
      async () => {
        await t.store.preferences.set("big-u", "p", objectOfSize(1 * MiB));
        const keys = ["k0", "k1", "k2", "k3", "k4"];
        await Promise.all(
          keys.map((k) => t.store.preferences.patch("big-u", "p", { [k]: incompressible(100 * KiB) })),
        );
        const read = await t.store.preferences.get("big-u", "p");
        expect(Object.keys(read?.values ?? {}).sort()).toEqual(["k0", "k1", "k2", "k3", "k4", "s"]);
        expect(read?.version).toBe(6);
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
