import { type Json, type StateStore, ValidationError } from "@agent-state/core";
import { ManualClock } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { afterEach, describe, expect, it } from "vitest";

const opened: StateStore[] = [];

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/**
 * A clock the test can also wind back. Winding back is how a test sees, through the public API only,
 * whether an expired record is still held: if it is, it counts as live again; if it was freed, it is gone.
 */
class RewindableClock {
  constructor(public current: number = Date.now()) {}
  readonly now = (): number => this.current;
}

function open(options: ConstructorParameters<typeof MemoryStateStore>[0] = {}): MemoryStateStore {
  const store = new MemoryStateStore(options);
  opened.push(store);
  return store;
}

/** Fills a store with `n` sessions (with messages), cache entries and preference records, all expiring in 1 s. */
async function fillWithShortLivedRecords(store: MemoryStateStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.sessions.create({ sessionId: `s${i}`, userId: `u${i % 10}`, ttlSeconds: 1, state: { i } });
    await store.sessions.append(`s${i}`, [{ role: "user", content: `hello ${i}` }]);
    await store.toolCache.set("search", { q: i }, { hits: [i] }, { ttlSeconds: 1 });
    await store.preferences.set(`u${i}`, "agent", { i }, { ttlSeconds: 1 });
  }
}

describe("memory held by expired records is reclaimed", () => {
  it("a write after sweepIntervalMs frees every expired session, cache entry and preference", async () => {
    const clock = new RewindableClock();
    const start = clock.current;
    const store = open({ clock: clock.now, sweepIntervalMs: 60_000 });
    await fillWithShortLivedRecords(store, 1000);
    expect(await store.stats()).toEqual({ activeSessions: 1000, cacheEntries: 1000, approximate: false });

    clock.current = start + 60_000;
    expect(await store.stats()).toMatchObject({ activeSessions: 0, cacheEntries: 0 });
    await store.sessions.create({ sessionId: "trigger" }); // one write, due for a sweep

    clock.current = start; // wound back: anything still held would count as live again
    expect(await store.stats()).toMatchObject({ activeSessions: 1, cacheEntries: 0 });
    expect(await store.sessions.get("s0")).toBeNull();
    expect(await store.toolCache.get("search", { q: 0 })).toBeNull();
    expect(await store.preferences.get("u0", "agent")).toBeNull();
    expect((await store.sessions.listByUser("u0")).items).toEqual([]);
  });

  it("a write before sweepIntervalMs has passed does not sweep (expired records are only hidden)", async () => {
    const clock = new RewindableClock();
    const start = clock.current;
    const store = open({ clock: clock.now, sweepIntervalMs: 60_000 });
    await fillWithShortLivedRecords(store, 50);

    clock.current = start + 59_000;
    expect(await store.stats()).toMatchObject({ activeSessions: 0, cacheEntries: 0 });
    await store.sessions.create({ sessionId: "trigger" });

    clock.current = start;
    // Not swept yet: this is the control showing the wind-back probe sees held records.
    expect(await store.stats()).toMatchObject({ activeSessions: 51, cacheEntries: 50 });
  });

  it("every kind of write triggers a due sweep; reads never do", async () => {
    const writes: [string, (store: MemoryStateStore) => Promise<unknown>][] = [
      ["sessions.create", (s) => s.sessions.create({ sessionId: "fresh" })],
      ["sessions.update", (s) => s.sessions.update("keeper", {})],
      ["sessions.append", (s) => s.sessions.append("keeper", { role: "user", content: "x" })],
      ["sessions.delete", (s) => s.sessions.delete("nobody")],
      ["toolCache.set", (s) => s.toolCache.set("t", {}, 1, { ttlSeconds: 60 })],
      ["toolCache.invalidate", (s) => s.toolCache.invalidate("t")],
      ["preferences.set", (s) => s.preferences.set("u", "a", {})],
      ["preferences.patch", (s) => s.preferences.patch("u", "a", { k: 1 })],
      ["preferences.delete", (s) => s.preferences.delete("u", "a")],
    ];
    for (const [name, write] of writes) {
      const clock = new RewindableClock();
      const start = clock.current;
      const store = open({ clock: clock.now, sweepIntervalMs: 1000 });
      await store.sessions.create({ sessionId: "keeper", ttlSeconds: 3600 });
      await fillWithShortLivedRecords(store, 3);
      clock.current = start + 5000;
      await store.sessions.get("s1");
      await store.sessions.get("keeper", { recentMessages: 5 });
      await store.toolCache.get("other", {});
      await store.preferences.get("u", "a");
      await store.stats();
      clock.current = start;
      expect(await store.stats(), `reads swept before ${name}`).toMatchObject({ cacheEntries: 3 });
      clock.current = start + 5000;
      await write(store);
      clock.current = start;
      expect(await store.sessions.get("s2"), `after ${name}`).toBeNull();
      expect(await store.toolCache.get("search", { q: 2 }), `after ${name}`).toBeNull();
      expect(await store.preferences.get("u2", "agent"), `after ${name}`).toBeNull();
    }
  });

  it("sweep() frees every expired record at once, whenever it is called", async () => {
    const clock = new RewindableClock();
    const start = clock.current;
    const store = open({ clock: clock.now });
    await fillWithShortLivedRecords(store, 100);
    await store.sessions.create({ sessionId: "long-lived", ttlSeconds: 3600 });
    clock.current = start + 1000;
    store.sweep();
    clock.current = start;
    expect(await store.stats()).toMatchObject({ activeSessions: 1, cacheEntries: 0 });
    expect(await store.sessions.get("long-lived")).not.toBeNull();
  });

  it("rejects a sweepIntervalMs that would never (NaN) or nonsensically (negative) sweep", () => {
    for (const sweepIntervalMs of [Number.NaN, -1]) {
      expect(() => new MemoryStateStore({ sweepIntervalMs })).toThrow(ValidationError);
    }
    expect(() => new MemoryStateStore({ sweepIntervalMs: 0 })).not.toThrow();
  });

  it("an expired record is freed as soon as it is touched", async () => {
    const clock = new RewindableClock();
    const start = clock.current;
    const store = open({ clock: clock.now, sweepIntervalMs: 3_600_000 });
    await store.sessions.create({ sessionId: "s", ttlSeconds: 1 });
    await store.toolCache.set("t", { a: 1 }, "v", { ttlSeconds: 1 });
    await store.preferences.set("u", "a", { k: 1 }, { ttlSeconds: 1 });
    clock.current = start + 1000;
    expect(await store.sessions.get("s")).toBeNull();
    expect(await store.toolCache.get("t", { a: 1 })).toBeNull();
    expect(await store.preferences.get("u", "a")).toBeNull();
    clock.current = start;
    expect(await store.sessions.get("s")).toBeNull();
    expect(await store.toolCache.get("t", { a: 1 })).toBeNull();
    expect(await store.preferences.get("u", "a")).toBeNull();
  });
});

describe("returned objects are copies", () => {
  it("sessions: mutating what create, get, update, append, messages and listByUser return changes nothing", async () => {
    const store = open();
    const created = await store.sessions.create({ sessionId: "s", userId: "u", state: { list: [1] } });
    (created.state.list as Json[]).push(2);
    created.version = 99;
    const updated = await store.sessions.update("s", { state: { list: [1], nested: { a: 1 } } });
    (updated.state.nested as Record<string, Json>).a = 2;
    const appended = await store.sessions.append("s", {
      role: "user",
      content: "hi",
      metadata: { tags: ["a"] },
    });
    appended[0]!.content = "changed";
    (appended[0]!.metadata!.tags as Json[]).push("b");
    const fetched = await store.sessions.get("s", { recentMessages: 5 });
    fetched!.recentMessages![0]!.content = "changed again";
    fetched!.state.list = "gone";
    const page = await store.sessions.messages("s");
    page.items[0]!.role = "system";
    const listed = await store.sessions.listByUser("u");
    listed.items[0]!.state.list = "gone too";

    const fresh = await store.sessions.get("s", { recentMessages: 5 });
    expect(fresh!.state).toEqual({ list: [1], nested: { a: 1 } });
    expect(fresh!.version).toBe(2);
    expect(fresh!.recentMessages).toEqual([
      expect.objectContaining({ role: "user", content: "hi", metadata: { tags: ["a"] } }),
    ]);
  });

  it("sessions: mutating the inputs after the call changes nothing", async () => {
    const store = open();
    const state = { list: [1] as Json[] };
    await store.sessions.create({ sessionId: "s", state });
    state.list.push(2);
    const newState = { deep: { x: 1 } };
    await store.sessions.update("s", { state: newState });
    newState.deep.x = 2;
    const message = { role: "user" as const, content: "hi", metadata: { tags: ["a"] as Json[] } };
    await store.sessions.append("s", message);
    message.metadata.tags.push("b");
    message.content = "edited";

    const fresh = await store.sessions.get("s", { recentMessages: 1 });
    expect(fresh!.state).toEqual({ deep: { x: 1 } });
    expect(fresh!.recentMessages![0]).toMatchObject({ content: "hi", metadata: { tags: ["a"] } });
  });

  it("tool cache: neither the value set nor the value returned is shared with the store", async () => {
    const store = open();
    const value = { results: ["a"] as Json[] };
    await store.toolCache.set("search", { q: "x" }, value, { ttlSeconds: 60 });
    value.results.push("b");
    const hit = await store.toolCache.get<{ results: Json[] }>("search", { q: "x" });
    hit!.value.results.push("c");
    hit!.hitCount = 100;
    const again = await store.toolCache.get("search", { q: "x" });
    expect(again).toMatchObject({ value: { results: ["a"] }, hitCount: 2 });
  });

  it("preferences: set, patch and get hand out copies", async () => {
    const store = open();
    const values = { theme: { name: "dark" } };
    const afterSet = await store.preferences.set("u", "a", values);
    values.theme.name = "light";
    afterSet.values.theme = "mutated";
    const changes = { layout: { columns: 2 } };
    const afterPatch = await store.preferences.patch("u", "a", changes);
    changes.layout.columns = 3;
    (afterPatch.values.layout as Record<string, Json>).columns = 4;
    const got = await store.preferences.get("u", "a");
    got!.values.theme = "mutated again";
    expect((await store.preferences.get("u", "a"))!.values).toEqual({
      theme: { name: "dark" },
      layout: { columns: 2 },
    });
  });

  it("a preference key named __proto__ (as JSON.parse makes it) is stored like any other key", async () => {
    const store = open();
    const changes = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as Record<string, Json>;
    await store.preferences.patch("u", "a", changes);
    const got = await store.preferences.get("u", "a");
    expect(Object.keys(got!.values).sort()).toEqual(["__proto__", "plain"]);
    expect(JSON.stringify(got!.values)).toBe('{"__proto__":{"polluted":true},"plain":1}');
  });
});

describe("default ttl overrides", () => {
  it("uses ttlSeconds.session and ttlSeconds.preferences from the options", async () => {
    const clock = new ManualClock();
    const store = open({ clock: clock.now, ttlSeconds: { session: 60, preferences: 120 } });
    const session = await store.sessions.create({ sessionId: "s" });
    expect(session.expiresAt).toBe(clock.now() + 60_000);
    const prefs = await store.preferences.set("u", "a", { k: 1 });
    expect(prefs.expiresAt).toBe(clock.now() + 120_000);
    const patched = await store.preferences.patch("u2", "a", { k: 1 });
    expect(patched.expiresAt).toBe(clock.now() + 120_000);

    clock.advanceSeconds(59);
    expect(await store.sessions.get("s")).not.toBeNull();
    clock.advanceSeconds(1);
    expect(await store.sessions.get("s")).toBeNull();
    clock.advanceSeconds(59);
    expect(await store.preferences.get("u", "a")).not.toBeNull();
    clock.advanceSeconds(1);
    expect(await store.preferences.get("u", "a")).toBeNull();
  });

  it("keeps the 1-hour and 7-day defaults when not overridden", async () => {
    const clock = new ManualClock();
    const store = open({ clock: clock.now });
    expect((await store.sessions.create()).expiresAt).toBe(clock.now() + 3_600_000);
    expect((await store.preferences.set("u", "a", {})).expiresAt).toBe(clock.now() + 604_800_000);
  });

  it("a per-call ttl beats the default, and a session keeps its own ttl as it slides", async () => {
    const clock = new ManualClock();
    const store = open({ clock: clock.now, ttlSeconds: { session: 60, preferences: 120 } });
    await store.sessions.create({ sessionId: "s", ttlSeconds: 10 });
    clock.advanceSeconds(5);
    await store.sessions.append("s", { role: "user", content: "x" });
    expect((await store.sessions.get("s"))!.expiresAt).toBe(clock.now() + 10_000);
    clock.advanceSeconds(5);
    expect((await store.sessions.update("s", {})).expiresAt).toBe(clock.now() + 10_000);
    expect((await store.preferences.set("u", "a", {}, { ttlSeconds: 5 })).expiresAt).toBe(
      clock.now() + 5_000,
    );
    expect((await store.preferences.patch("u", "a", {})).expiresAt).toBe(clock.now() + 120_000);
  });

  it("rejects invalid overrides when the store is built", () => {
    expect(() => new MemoryStateStore({ ttlSeconds: { session: 0 } })).toThrow(ValidationError);
    expect(() => new MemoryStateStore({ ttlSeconds: { preferences: -1 } })).toThrow(ValidationError);
  });
});

describe("close", () => {
  it("drops everything and may be called twice", async () => {
    const store = new MemoryStateStore();
    await store.sessions.create({ sessionId: "s" });
    await store.toolCache.set("t", {}, 1, { ttlSeconds: 60 });
    await store.close();
    await store.close();
    expect(await store.stats()).toEqual({ activeSessions: 0, cacheEntries: 0, approximate: false });
    expect(await store.sessions.get("s")).toBeNull();
  });
});
