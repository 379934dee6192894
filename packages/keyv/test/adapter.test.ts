import type { StateStore } from "@agent-state/core";
import { codeOf, ManualClock } from "@agent-state/core/testing";
import { describeEachBackend } from "@agent-state/test-backends";
import Keyv from "keyv";
import { beforeEach, expect, it } from "vitest";
import { AgentStateKeyv } from "../src/index.js";

// What the Keyv suite does not pin down: millisecond TTLs judged by the adapter, reads that change nothing,
// namespaces as scopes, batches over the records limits, the iterator.
describeEachBackend("AgentStateKeyv", (backend) => {
  let clock: ManualClock;
  let store: StateStore;
  beforeEach(async () => {
    clock = new ManualClock();
    store = await backend.createStore({ clock: clock.now });
  });

  it("honours millisecond TTLs exactly (live until the clock passes the expiry)", async () => {
    const adapter = new AgentStateKeyv(store, { clock: clock.now });
    await adapter.set("k", "v", 1500);
    clock.advance(1500);
    expect(await adapter.get("k")).toBe("v");
    clock.advance(1);
    expect(await adapter.get("k")).toBeUndefined();
    expect(await adapter.has("k")).toBe(false);
    expect(await adapter.delete("k")).toBe(false);
  });

  it("keeps entries without a TTL (or with ttl 0) forever", async () => {
    const adapter = new AgentStateKeyv(store, { clock: clock.now });
    await adapter.set("a", "1");
    await adapter.set("b", "2", 0);
    clock.advanceSeconds(10 * 365 * 24 * 3600);
    expect(await adapter.getMany(["a", "b"])).toEqual(["1", "2"]);
  });

  it("get, has and iterator change nothing: the record's version stays where set left it", async () => {
    const adapter = new AgentStateKeyv(store);
    await adapter.set("k", "v");
    await adapter.get("k");
    await adapter.has("k");
    await adapter.hasMany(["k", "missing"]);
    for await (const _ of adapter.iterator()) {
    }
    const [record] = await store.records.get(adapter.scopeOf(), ["k"]);
    expect(record?.version).toBe(1);
    // and nothing went to the tool cache
    expect((await store.stats()).cacheEntries).toBe(0);
  });

  it("delete reports whether a live entry was removed", async () => {
    const adapter = new AgentStateKeyv(store);
    await adapter.set("k", "v");
    expect(await adapter.delete("k")).toBe(true);
    expect(await adapter.delete("k")).toBe(false);
    expect(await adapter.delete("never")).toBe(false);
  });

  it("concurrent deletes of one entry: exactly one reports true", async () => {
    const adapter = new AgentStateKeyv(store);
    await adapter.set("k", "v");
    const results = await Promise.all(Array.from({ length: 8 }, () => adapter.delete("k")));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("each namespace is its own scope: clear() empties one and nothing else", async () => {
    const one = new Keyv({ store: new AgentStateKeyv(store), namespace: "one" });
    const two = new Keyv({ store: new AgentStateKeyv(store), namespace: "two" });
    const other = new AgentStateKeyv(store, { scope: "elsewhere" });
    await one.set("x", 1);
    await two.set("x", 2);
    await other.set("x", "3");
    await one.clear();
    expect(await one.get("x")).toBeUndefined();
    expect(await two.get("x")).toBe(2);
    expect(await other.get("x")).toBe("3");
    expect(await store.records.range("keyv:two")).toMatchObject({ items: [{ key: "two:x" }] });
  });

  it("setMany and getMany go past the 100-per-call records limits; the last write of a key wins", async () => {
    const adapter = new AgentStateKeyv(store);
    const entries = Array.from({ length: 230 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await adapter.setMany([...entries, { key: "k0", value: "last" }]);
    const values = await adapter.getMany(entries.map((e) => e.key));
    expect(values).toHaveLength(230);
    expect(values[0]).toBe("last");
    expect(values.slice(1)).toEqual(entries.slice(1).map((e) => e.value));
  });

  it("one adapter shared by two Keyv namespaces keeps them apart; clear() refuses rather than guess", async () => {
    const shared = new AgentStateKeyv(store);
    const one = new Keyv({ store: shared, namespace: "one", throwOnErrors: true });
    const two = new Keyv({ store: shared, namespace: "two", throwOnErrors: true });
    one.on("error", () => {});
    two.on("error", () => {});
    await one.set("k", "from one");
    await two.set("k", "from two");
    await one.setMany([{ key: "a", value: "one-a" }]);
    await two.setMany([{ key: "a", value: "two-a" }]);
    expect(await one.get("k")).toBe("from one");
    expect(await two.get("k")).toBe("from two");
    expect(await one.get(["k", "a"])).toEqual(["from one", "one-a"]);
    // Each namespace's keys are in its own scope, whichever Keyv was built last.
    const keysOf = async (namespace: string) =>
      (await store.records.range(shared.scopeOf(namespace))).items.map((r) => r.key);
    expect(await keysOf("one")).toEqual(["one:a", "one:k"]);
    expect(await keysOf("two")).toEqual(["two:a", "two:k"]);
    expect(await codeOf(shared.clear())).toBe("VALIDATION");
    expect(await codeOf(one.clear())).toBe("VALIDATION");
    expect(await two.get("k")).toBe("from two");
    expect(await one.delete("k")).toBe(true);
    expect(await two.get("k")).toBe("from two");
    expect(await keysOf("one")).toEqual(["one:a"]);
  });

  it("iterator yields every live entry of the namespace in key order, across pages, skipping expired ones", async () => {
    const adapter = new AgentStateKeyv(store, { clock: clock.now });
    adapter.namespace = "ns";
    await adapter.setMany(
      Array.from({ length: 150 }, (_, i) => ({ key: `ns:${String(i).padStart(3, "0")}`, value: i })),
    );
    await adapter.set("ns:short", "gone soon", 10);
    const elsewhere = new AgentStateKeyv(store);
    elsewhere.namespace = "other";
    await elsewhere.set("other:x", "not mine");
    clock.advance(11);
    const seen: unknown[][] = [];
    for await (const entry of adapter.iterator("ns")) seen.push(entry);
    expect(seen).toHaveLength(150);
    expect(seen[0]).toEqual(["ns:000", 0]);
    expect(seen[149]).toEqual(["ns:149", 149]);
  });

  it("bytes round-trip as a plain Uint8Array", async () => {
    const adapter = new AgentStateKeyv(store);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await adapter.set("b", bytes);
    const back = await adapter.get("b");
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...(back as Uint8Array)]).toEqual([...bytes]);
  });

  it("throws typed errors for what records cannot hold (Keyv rethrows them with throwOnErrors)", async () => {
    const adapter = new AgentStateKeyv(store);
    expect(await codeOf(adapter.set("", "v"))).toBe("VALIDATION");
    expect(await codeOf(adapter.set("k", "v", -1))).toBe("VALIDATION");
    const keyv = new Keyv({ store: adapter, throwOnErrors: true });
    keyv.on("error", () => {});
    expect(await codeOf(keyv.set("bad\u0000key", "v"))).toBe("VALIDATION");
  });
});
