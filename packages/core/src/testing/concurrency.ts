import { describe, expect, it } from "vitest";
import { cachedTool, getOrCreate, transact } from "../helpers.js";
import type { Json, Message, Session } from "../types.js";
import {
  readAllPages,
  SLOW_TEST_TIMEOUT_MS,
  type StateStoreContractOptions,
  settle,
  useStore,
} from "./harness.js";

const PARALLEL = 24;

/** Real concurrency: dozens of calls in flight at once against one record. */
export function describeConcurrencyContract(options: StateStoreContractOptions): void {
  describe("concurrency", () => {
    const t = useStore(options);

    it(
      "of concurrent updates with the same expectedVersion exactly one wins; the rest see its version",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const { fulfilled, rejected } = await settle(
          Array.from({ length: PARALLEL }, (_, i) =>
            t.store.sessions.update(sessionId, { state: { writer: i } }, { expectedVersion: 1 }),
          ),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(PARALLEL - 1);
        for (const error of rejected)
          expect(error).toMatchObject({ code: "VERSION_CONFLICT", actualVersion: 2 });
        const stored = await t.store.sessions.get(sessionId);
        expect(stored?.version).toBe(2);
        expect(stored?.state).toEqual(fulfilled[0]?.state);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent unconditional updates all apply, each adding exactly 1",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) =>
            t.store.sessions.update(sessionId, { state: { writer: i } }),
          ),
        );
        const versions = results.map((s) => s.version).sort((a, b) => a - b);
        expect(versions).toEqual(Array.from({ length: PARALLEL }, (_, i) => i + 2));
        const stored = await t.store.sessions.get(sessionId);
        expect(stored?.version).toBe(PARALLEL + 1);
        const last = results.find((s) => s.version === PARALLEL + 1);
        expect(stored?.state).toEqual(last?.state);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent transact increments lose nothing",
      async () => {
        const { sessionId } = await t.store.sessions.create({ state: { count: 0 } });
        await Promise.all(
          Array.from({ length: 8 }, () =>
            transact(t.store, sessionId, (s) => ({ state: { count: (s.state.count as number) + 1 } }), {
              maxAttempts: 50,
            }),
          ),
        );
        const stored = await t.store.sessions.get(sessionId);
        expect(stored?.state.count).toBe(8);
        expect(stored?.version).toBe(9);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent appends lose nothing: unique ids, consistent order, messageCount equals the total",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const batches = await Promise.all(
          Array.from({ length: PARALLEL }, (_, writer) =>
            t.store.sessions.append(sessionId, [
              { role: "user", content: `w${writer}-first` },
              { role: "assistant", content: `w${writer}-second` },
            ]),
          ),
        );
        const total = PARALLEL * 2;
        const session = await t.store.sessions.get(sessionId, { recentMessages: total });
        expect(session?.messageCount).toBe(total);
        const { items } = await readAllPages((cursor) =>
          t.store.sessions.messages(sessionId, cursor === undefined ? { limit: 7 } : { limit: 7, cursor }),
        );
        expect(items).toHaveLength(total);
        const ids = items.map((m) => m.id);
        expect(new Set(ids).size).toBe(total);
        expect([...ids].sort()).toEqual(ids);
        expect(session?.recentMessages).toEqual(items);
        const byId = new Map(items.map((m) => [m.id, m] as const));
        for (const batch of batches) {
          expect(batch).toHaveLength(2);
          const [first, second] = batch as [Message, Message];
          expect(byId.get(first.id)).toEqual(first);
          expect(byId.get(second.id)).toEqual(second);
          expect(first.id < second.id).toBe(true);
        }
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent cache hits are all counted",
      async () => {
        await t.store.toolCache.set("weather", { city: "Oslo" }, { tempC: -3 }, { ttlSeconds: 300 });
        const hits = await Promise.all(
          Array.from({ length: PARALLEL * 2 }, () => t.store.toolCache.get("weather", { city: "Oslo" })),
        );
        const counts = hits.map((h) => h?.hitCount ?? -1).sort((a, b) => a - b);
        expect(counts).toEqual(Array.from({ length: PARALLEL * 2 }, (_, i) => i + 1));
        for (const hit of hits) expect(hit?.value).toEqual({ tempC: -3 });
        expect((await t.store.toolCache.get("weather", { city: "Oslo" }))?.hitCount).toBe(PARALLEL * 2 + 1);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "concurrent preference patches of different keys all survive",
      async () => {
        const patches = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => t.store.preferences.patch("u", "a", { [`key${i}`]: i })),
        );
        const stored = await t.store.preferences.get("u", "a");
        const expected: Record<string, Json> = {};
        for (let i = 0; i < PARALLEL; i++) expected[`key${i}`] = i;
        expect(stored?.values).toEqual(expected);
        expect(stored?.version).toBe(PARALLEL);
        expect(patches.map((p) => p.version).sort((a, b) => a - b)).toEqual(
          Array.from({ length: PARALLEL }, (_, i) => i + 1),
        );
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "of concurrent creates of one id exactly one succeeds; getOrCreate callers all get that session",
      async () => {
        const { fulfilled, rejected } = await settle(
          Array.from({ length: PARALLEL }, (_, i) =>
            t.store.sessions.create({ sessionId: "race", state: { by: i } }),
          ),
        );
        expect(fulfilled).toHaveLength(1);
        for (const error of rejected) expect(error).toMatchObject({ code: "ALREADY_EXISTS" });
        expect((await t.store.sessions.get("race"))?.state).toEqual(fulfilled[0]?.state);

        const sessions: Session[] = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) =>
            getOrCreate(t.store, { sessionId: "race-2", state: { by: i } }),
          ),
        );
        const stored = await t.store.sessions.get("race-2");
        for (const s of sessions) {
          expect(s.sessionId).toBe("race-2");
          expect(s.createdAt).toBe(stored?.createdAt);
          expect(s.state).toEqual(stored?.state);
        }
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "cachedTool: concurrent identical calls share one computation; a failure is not cached",
      async () => {
        let calls = 0;
        const slowSquare = cachedTool(
          t.store,
          "square",
          async ({ n }: { n: number }) => {
            calls++;
            await new Promise((resolve) => setTimeout(resolve, 20));
            return (n * n) as Json;
          },
          { ttlSeconds: 60 },
        );
        const results = await Promise.all(Array.from({ length: 10 }, () => slowSquare({ n: 7 })));
        expect(results).toEqual(Array(10).fill(49));
        expect(calls).toBe(1);
        expect(await slowSquare({ n: 7 })).toBe(49);
        expect(calls).toBe(1);

        let attempts = 0;
        const flaky = cachedTool(
          t.store,
          "flaky",
          async () => {
            attempts++;
            if (attempts === 1) throw new Error("boom");
            return "ok";
          },
          { ttlSeconds: 60 },
        );
        await expect(flaky({})).rejects.toThrow("boom");
        expect(await t.store.toolCache.get("flaky", {})).toBeNull();
        expect(await flaky({})).toBe("ok");
        expect(await flaky({})).toBe("ok");
        expect(attempts).toBe(2);
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
