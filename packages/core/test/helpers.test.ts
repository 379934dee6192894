import { MemoryStateStore } from "@agent-state/memory";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isStateStoreError, VersionConflictError } from "../src/errors.js";
import { type CachedToolOutcome, cachedTool, cachedToolCall, getOrCreate, transact } from "../src/helpers.js";
import { ManualClock } from "../src/testing/harness.js";
import type { Json } from "../src/types.js";

let clock: ManualClock;
let store: MemoryStateStore;

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryStateStore({ clock: clock.now });
});

afterEach(async () => {
  await store.close();
});

/** A promise and the functions that settle it, to hold a computation open while other calls arrive. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("transact", () => {
  it("reads the session, applies fn's changes with the read version and returns the result", async () => {
    await store.sessions.create({ sessionId: "s", state: { count: 1 } });
    const seen: number[] = [];
    const result = await transact(store, "s", (session) => {
      seen.push(session.version);
      return { state: { count: (session.state.count as number) + 1 }, lastToolCall: "increment" };
    });
    expect(seen).toEqual([1]);
    expect(result.version).toBe(2);
    expect(result.state).toEqual({ count: 2 });
    expect(result.lastToolCall).toBe("increment");
  });

  it("accepts an async fn", async () => {
    await store.sessions.create({ sessionId: "s" });
    const result = await transact(store, "s", async () => ({ state: { done: true } }));
    expect(result.state).toEqual({ done: true });
  });

  it("retries on a version conflict, re-reading the session, and succeeds", async () => {
    await store.sessions.create({ sessionId: "s", state: { items: [] } });
    let calls = 0;
    const result = await transact(store, "s", async (session) => {
      calls++;
      // A competing writer lands between this read and transact's write on the first two attempts.
      if (calls <= 2)
        await store.sessions.update("s", {
          state: { items: [...(session.state.items as Json[]), `other${calls}`] },
        });
      return { state: { items: [...(session.state.items as Json[]), "mine"] } };
    });
    expect(calls).toBe(3);
    expect(result.state).toEqual({ items: ["other1", "other2", "mine"] });
    expect(result.version).toBe(4);
  });

  it("gives up after maxAttempts, throwing the last VersionConflictError", async () => {
    await store.sessions.create({ sessionId: "s" });
    let calls = 0;
    let error: unknown;
    try {
      await transact(
        store,
        "s",
        async () => {
          calls++;
          await store.sessions.update("s", { lastToolCall: `competitor${calls}` });
          return { state: { lost: true } };
        },
        { maxAttempts: 3 },
      );
    } catch (caught) {
      error = caught;
    }
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(isStateStoreError(error, "VERSION_CONFLICT")).toBe(true);
    // The third attempt read version 3, the competitor made it 4: that is the last conflict.
    expect((error as VersionConflictError).expectedVersion).toBe(3);
    expect((error as VersionConflictError).actualVersion).toBe(4);
    const stored = await store.sessions.get("s");
    expect(stored?.state).toEqual({});
    expect(stored?.version).toBe(4);
  });

  it("tries 5 times by default", async () => {
    await store.sessions.create({ sessionId: "s" });
    let calls = 0;
    const attempt = transact(store, "s", async () => {
      calls++;
      await store.sessions.update("s", {});
      return {};
    });
    await expect(attempt).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    expect(calls).toBe(5);
  });

  it("lets dozens of concurrent transactions on one session all land", async () => {
    await store.sessions.create({ sessionId: "s", state: { n: 0 } });
    // Memory operations are atomic, so each attempt loses only to a write that landed in between.
    const runs = Array.from({ length: 20 }, () =>
      transact(store, "s", (session) => ({ state: { n: (session.state.n as number) + 1 } }), {
        maxAttempts: 100,
      }),
    );
    await Promise.all(runs);
    const stored = await store.sessions.get("s");
    expect(stored?.state).toEqual({ n: 20 });
    expect(stored?.version).toBe(21);
  });

  it("throws NOT_FOUND for a missing or expired session without calling fn", async () => {
    let calls = 0;
    const countCall = () => {
      calls++;
      return {};
    };
    await expect(transact(store, "missing", countCall)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await store.sessions.create({ sessionId: "short", ttlSeconds: 1 });
    clock.advance(1000);
    await expect(transact(store, "short", countCall)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(calls).toBe(0);
  });

  it.each([[0], [-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    "rejects maxAttempts %d before reading (NaN would otherwise retry forever)",
    async (maxAttempts) => {
      await store.sessions.create({ sessionId: "s" });
      let calls = 0;
      const attempt = transact(store, "s", () => ({ state: { n: ++calls } }), { maxAttempts });
      await expect(attempt).rejects.toMatchObject({ code: "VALIDATION", field: "maxAttempts" });
      expect(calls).toBe(0);
    },
  );

  it("does not retry other errors", async () => {
    await store.sessions.create({ sessionId: "s" });
    let calls = 0;
    const attempt = transact(store, "s", () => {
      calls++;
      return { state: { bad: Number.NaN } };
    });
    await expect(attempt).rejects.toMatchObject({ code: "VALIDATION" });
    expect(calls).toBe(1);

    const failing = transact(store, "s", () => {
      calls++;
      throw new Error("fn failed");
    });
    await expect(failing).rejects.toThrow("fn failed");
    expect(calls).toBe(2);
  });
});

describe("getOrCreate", () => {
  it("creates the session from init when there is none", async () => {
    const session = await getOrCreate(store, { sessionId: "s", userId: "u", state: { a: 1 } });
    expect(session).toMatchObject({ sessionId: "s", userId: "u", state: { a: 1 }, version: 1 });
    expect((await store.stats()).activeSessions).toBe(1);
  });

  it("returns the live session untouched when it exists", async () => {
    await store.sessions.create({ sessionId: "s", state: { original: true } });
    await store.sessions.update("s", { lastToolCall: "t" });
    const session = await getOrCreate(store, { sessionId: "s", state: { replacement: true } });
    expect(session.state).toEqual({ original: true });
    expect(session.version).toBe(2);
  });

  it("creates a new session when the old one has expired", async () => {
    await store.sessions.create({ sessionId: "s", state: { old: true }, ttlSeconds: 10 });
    clock.advanceSeconds(10);
    const session = await getOrCreate(store, { sessionId: "s", state: { fresh: true } });
    expect(session.state).toEqual({ fresh: true });
    expect(session.messageCount).toBe(0);
  });

  it("under concurrency one caller creates and all get the same session", async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => getOrCreate(store, { sessionId: "s", state: { caller: i } })),
    );
    const created = results[0]!;
    for (const session of results) {
      expect(session.sessionId).toBe("s");
      expect(session.version).toBe(1);
      expect(session.createdAt).toBe(created.createdAt);
      expect(session.state).toEqual(created.state);
    }
    expect((await store.stats()).activeSessions).toBe(1);
  });

  it("passes validation errors through", async () => {
    await expect(getOrCreate(store, { sessionId: "" })).rejects.toMatchObject({ code: "VALIDATION" });
  });
});

describe("cachedTool", () => {
  it("computes once, then serves from the store's cache", async () => {
    let calls = 0;
    const search = cachedTool(
      store,
      "search",
      async (params: { q: string }) => {
        calls++;
        return { results: [`${params.q}-1`] };
      },
      { ttlSeconds: 60 },
    );
    expect(await search({ q: "cats" })).toEqual({ results: ["cats-1"] });
    expect(await search({ q: "cats" })).toEqual({ results: ["cats-1"] });
    expect(await search({ q: "dogs" })).toEqual({ results: ["dogs-1"] });
    expect(calls).toBe(2);
    const entry = await store.toolCache.get("search", { q: "cats" });
    expect(entry?.value).toEqual({ results: ["cats-1"] });
    expect(entry?.expiresAt).toBe(entry!.cachedAt + 60_000);
  });

  it("shares one computation among concurrent identical calls, whatever their key order", async () => {
    let calls = 0;
    const gate = deferred<Json>();
    const lookup = cachedTool(
      store,
      "lookup",
      (_params: Record<string, Json>) => {
        calls++;
        return gate.promise;
      },
      { ttlSeconds: 60 },
    );
    const pending = [
      ...Array.from({ length: 10 }, () => lookup({ a: 1, b: 2 })),
      ...Array.from({ length: 10 }, () => lookup({ b: 2, a: 1 })),
    ];
    const other = lookup({ a: 2, b: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2); // one for {a:1,b:2}, one for {a:2,b:2}
    gate.resolve("answer");
    expect(await Promise.all(pending)).toEqual(Array(20).fill("answer"));
    expect(await other).toBe("answer");
    expect(calls).toBe(2);
  });

  it("does not cache a failure: every waiting caller sees it, the next call computes again", async () => {
    let calls = 0;
    const gate = deferred<Json>();
    const flaky = cachedTool(
      store,
      "flaky",
      (_params: Record<string, Json>) => {
        calls++;
        return calls === 1 ? gate.promise : "recovered";
      },
      { ttlSeconds: 60 },
    );
    const first = [flaky({ x: 1 }), flaky({ x: 1 }), flaky({ x: 1 })];
    await new Promise((resolve) => setImmediate(resolve));
    gate.reject(new Error("upstream down"));
    const settled = await Promise.allSettled(first);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await store.toolCache.get("flaky", { x: 1 })).toBeNull();
    expect(await flaky({ x: 1 })).toBe("recovered");
    expect(calls).toBe(2);
  });

  it("does not cache a synchronous throw either", async () => {
    let calls = 0;
    const tool = cachedTool(
      store,
      "sync",
      (_params: Record<string, Json>) => {
        calls++;
        if (calls === 1) throw new Error("boom");
        return 7;
      },
      { ttlSeconds: 60 },
    );
    await expect(tool({})).rejects.toThrow("boom");
    expect(await tool({})).toBe(7);
    expect(calls).toBe(2);
  });

  it("computes again once the entry has expired", async () => {
    let calls = 0;
    const tool = cachedTool(store, "clock", () => ++calls, { ttlSeconds: 30 });
    expect(await tool({})).toBe(1);
    clock.advanceSeconds(29);
    expect(await tool({})).toBe(1);
    clock.advanceSeconds(1);
    expect(await tool({})).toBe(2);
  });

  it("reports each call's outcome to onResult", async () => {
    const outcomes: CachedToolOutcome[] = [];
    const tool = cachedTool(store, "weather", (params: { city: string }) => `sunny in ${params.city}`, {
      ttlSeconds: 60,
      onResult: (outcome) => outcomes.push(outcome),
    });
    await tool({ city: "Oslo" });
    await tool({ city: "Oslo" });
    await tool({ city: "Oslo" });
    await tool({ city: "Rome" });
    expect(outcomes).toEqual([
      { toolName: "weather", cached: false, hitCount: 0 },
      { toolName: "weather", cached: true, hitCount: 1 },
      { toolName: "weather", cached: true, hitCount: 2 },
      { toolName: "weather", cached: false, hitCount: 0 },
    ]);
  });

  it("shares the outcome of a shared computation: onResult runs once for concurrent identical calls", async () => {
    const outcomes: CachedToolOutcome[] = [];
    const tool = cachedTool(store, "once", () => "v", { ttlSeconds: 60, onResult: (o) => outcomes.push(o) });
    await Promise.all([tool({}), tool({}), tool({})]);
    expect(outcomes).toEqual([{ toolName: "once", cached: false, hitCount: 0 }]);
  });

  it("rejects a bad tool name or ttl when wrapping", () => {
    expect(() => cachedTool(store, "", () => 1, { ttlSeconds: 60 })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    expect(() => cachedTool(store, "t", () => 1, { ttlSeconds: 0 })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
  });

  it("rejects bad params with a rejected promise, without calling the tool", async () => {
    let calls = 0;
    const tool = cachedTool(store, "t", (_params: Record<string, Json>) => ++calls, { ttlSeconds: 60 });
    const bad = { when: new Date(0) } as unknown as Record<string, Json>;
    await expect(tool(bad)).rejects.toMatchObject({ code: "VALIDATION" });
    expect(calls).toBe(0);
  });

  it("rejects a result that is not JSON and caches nothing", async () => {
    const tool = cachedTool(store, "t", () => Number.NaN as Json, { ttlSeconds: 60 });
    await expect(tool({})).rejects.toMatchObject({ code: "VALIDATION" });
    expect((await store.stats()).cacheEntries).toBe(0);
  });
});

describe("cachedToolCall", () => {
  it("tells each call whether its value was computed or cached, and the hit count", async () => {
    const gate = deferred<Json>();
    let computations = 0;
    const double = cachedToolCall(
      store,
      "double",
      async ({ n }: { n: number }) => {
        computations++;
        await gate.promise;
        return n * 2;
      },
      { ttlSeconds: 60 },
    );
    const concurrent = [double({ n: 4 }), double({ n: 4 })];
    gate.resolve(null);
    expect(await Promise.all(concurrent)).toEqual([
      { value: 8, cached: false, hitCount: 0 },
      { value: 8, cached: false, hitCount: 0 },
    ]);
    expect(await double({ n: 4 })).toEqual({ value: 8, cached: true, hitCount: 1 });
    expect(await double({ n: 4 })).toEqual({ value: 8, cached: true, hitCount: 2 });
    expect(computations).toBe(1);
  });

  it("rejects bad params without computing", async () => {
    const call = cachedToolCall(store, "t", () => 1, { ttlSeconds: 60 });
    await expect(call({ n: Number.NaN })).rejects.toMatchObject({ code: "VALIDATION" });
  });
});
