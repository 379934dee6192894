import type { RecordStore, StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type Checkpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { describe, expect, it } from "vitest";
import { AgentStateSaver } from "../src/index.js";

/**
 * A store whose records count their calls (each a request on a remote backend) and the sequential round
 * trips they take: a call's depth is one more than the deepest call finished before it started (calls
 * started together share a depth), and `calls.roundTrips` is the deepest depth since the last reset.
 */
function counting(store: StateStore): { store: StateStore; calls: Record<string, number>; reset(): void } {
  const calls: Record<string, number> = {};
  let finishedDepth = 0;
  const count = <T>(name: string, call: () => Promise<T>): Promise<T> => {
    calls[name] = (calls[name] ?? 0) + 1;
    const depth = finishedDepth + 1;
    calls.roundTrips = Math.max(calls.roundTrips ?? 0, depth);
    return call().finally(() => {
      finishedDepth = Math.max(finishedDepth, depth);
    });
  };
  const records: RecordStore = {
    get: (...args) => count("get", () => store.records.get(...args)),
    range: (...args) => count("range", () => store.records.range(...args)),
    write: (...args) => count("write", () => store.records.write(...args)),
    clear: (...args) => count("clear", () => store.records.clear(...args)),
  };
  const wrapped = Object.create(store, { records: { value: records } }) as StateStore;
  return {
    store: wrapped,
    calls,
    reset: () => {
      for (const key of Object.keys(calls)) delete calls[key];
      finishedDepth = 0;
    },
  };
}

function checkpointAt(step: number): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: { messages: [`m${step}`], step, context: "carried over" },
    channel_versions: { messages: step + 1, step: step + 1, context: 1 },
    versions_seen: {},
  };
}

describe("records calls per saver call do not grow with the thread", () => {
  it("put, putWrites, getTuple, list(limit 1) at 5 and at 300 checkpoints", async () => {
    const { store, calls, reset } = counting(new MemoryStateStore());
    const saver = new AgentStateSaver(store);
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const measured: Record<string, Record<string, number>>[] = [];
    for (let step = 0; step < 300; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      const measure = step === 5 || step === 299;
      const row: Record<string, Record<string, number>> = {};
      reset();
      if (step > 0) await saver.putWrites(config, [["messages", [`reply ${step}`]]], `task-${step}`);
      if (measure) row.putWrites = { ...calls };
      reset();
      config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
      if (measure) row.put = { ...calls };
      if (!measure) continue;
      reset();
      const tuple = await saver.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
      expect(tuple?.checkpoint.channel_values).toEqual({
        messages: [`m${step}`],
        step,
        context: "carried over",
      });
      row.getTuple = { ...calls };
      reset();
      for await (const _ of saver.list(
        { configurable: { thread_id: "t", checkpoint_ns: "" } },
        { limit: 1 },
      )) {
        // one tuple
      }
      row.list = { ...calls };
      measured.push(row);
    }
    const expected = {
      putWrites: { write: 1, roundTrips: 1 }, // the task's writes in one record
      // The head (with its new values); the thread's cross-thread index entry only went with the first put.
      put: { write: 1, roundTrips: 1 },
      // One range: the latest head with its writes; the carried-over value is in this saver's value cache.
      getTuple: { range: 1, roundTrips: 1 },
      // A page of heads holds their writes too.
      list: { range: 1, roundTrips: 1 },
    };
    expect(measured).toEqual([expected, expected]);
  });

  it("without its value cache, getTuple reads the head holding the carried-over value too, in the same round trip", async () => {
    const { store, calls, reset } = counting(new MemoryStateStore());
    const saver = new AgentStateSaver(store, { valueCacheBytes: 0 });
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    for (let step = 0; step < 3; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
    }
    reset();
    const tuple = await saver.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
    expect(tuple?.checkpoint.channel_values.context).toBe("carried over");
    expect(calls).toEqual({ range: 1, get: 1, roundTrips: 1 });
    expect(() => new AgentStateSaver(store, { valueCacheBytes: -1 })).toThrow(/valueCacheBytes/);
  });

  it("a put after a restart reads its parent's head once, then never again", async () => {
    const memory = new MemoryStateStore();
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const first = new AgentStateSaver(memory);
    config = await first.put(
      config,
      checkpointAt(0),
      { source: "loop", step: 0, parents: {} },
      {
        messages: 1,
        step: 1,
        context: 1,
      },
    );
    const { store, calls, reset } = counting(memory);
    const restarted = new AgentStateSaver(store);
    reset();
    config = await restarted.put(
      config,
      checkpointAt(1),
      { source: "loop", step: 1, parents: {} },
      { messages: 2, step: 2 },
    );
    // The parent's head, then the head and (the first time this saver puts in the thread) its index entry.
    expect(calls).toEqual({ get: 1, write: 2, roundTrips: 2 });
    reset();
    await restarted.put(
      config,
      checkpointAt(2),
      { source: "loop", step: 2, parents: {} },
      { messages: 3, step: 3 },
    );
    expect(calls).toEqual({ write: 1, roundTrips: 1 });
    reset();
    const tuple = await restarted.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
    expect(tuple?.checkpoint.channel_values.context).toBe("carried over");
    expect(calls).toEqual({ range: 1, get: 1, roundTrips: 1 });
  });

  it("getTuple: two round trips for a checkpoint this saver has not seen, then one", async () => {
    const memory = new MemoryStateStore();
    const writer = new AgentStateSaver(memory);
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    for (let step = 0; step < 3; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      config = await writer.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
    }
    const { store, calls, reset } = counting(memory);
    const reader = new AgentStateSaver(store);
    const latest = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const first = await reader.getTuple(latest);
    expect(calls).toEqual({ range: 1, get: 1, roundTrips: 2 });
    reset();
    // The carried-over value it read the first time comes from its value cache now.
    const again = await reader.getTuple(latest);
    expect(calls).toEqual({ range: 1, roundTrips: 1 });
    expect(again).toEqual(first);
    reset();
    const byId = await reader.getTuple(config);
    expect(calls).toEqual({ range: 1, roundTrips: 1 });
    expect(byId).toEqual(first);
    // Another process moved the thread on: the guess is wrong, but the range that reads the latest head found
    // the new one (with its writes), and the value it carries over is cached: still one round trip.
    await writer.put(
      config,
      checkpointAt(3),
      { source: "loop", step: 3, parents: {} },
      { messages: 4, step: 4 },
    );
    reset();
    const moved = await reader.getTuple(latest);
    expect(moved?.checkpoint.channel_values).toEqual({ messages: ["m3"], step: 3, context: "carried over" });
    expect(calls).toEqual({ range: 1, roundTrips: 1 });
  });

  it("list: a checkpoint whose writes span pages gets them all, and nothing is lost", async () => {
    const saver = new AgentStateSaver(new MemoryStateStore());
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const expected: number[] = [];
    for (let step = 0; step < 4; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
      // Checkpoint 1 gets 30 tasks' writes: more than the pages of a listing with limit 4 hold.
      const tasks = step === 1 ? 30 : 1;
      for (let t = 0; t < tasks; t++)
        await saver.putWrites(config, [["messages", [`w${step}.${t}`]]], `task-${t}`);
      expected.unshift(tasks);
    }
    const counts: number[] = [];
    for await (const tuple of saver.list(
      { configurable: { thread_id: "t", checkpoint_ns: "" } },
      { limit: 4 },
    )) {
      counts.push(tuple.pendingWrites?.length ?? 0);
    }
    expect(counts).toEqual(expected);
  });

  it("getTuple of a checkpoint with many tasks' writes: all of them, by id in one range, the latest in two", async () => {
    const { store, calls, reset } = counting(new MemoryStateStore());
    const saver = new AgentStateSaver(store);
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    for (let step = 0; step < 2; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
      for (let t = 0; t < 30; t++)
        await saver.putWrites(config, [["messages", [`w${step}.${t}`]]], `task-${t}`);
    }
    reset();
    const latest = await saver.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
    expect(latest?.pendingWrites).toHaveLength(30);
    expect(latest?.pendingWrites?.every(([, , value]) => String(value).startsWith("w1."))).toBe(true);
    // The first range (of two records) met writes only; the next page reached the head.
    expect(calls).toEqual({ range: 2, roundTrips: 2 });
    reset();
    const byId = await saver.getTuple(config);
    expect(byId?.pendingWrites).toEqual(latest?.pendingWrites);
    expect(calls).toEqual({ range: 1, roundTrips: 1 });
  });

  it("list with a thread and no namespace takes each page's writes from the page: no range per checkpoint", async () => {
    const { store, calls, reset } = counting(new MemoryStateStore());
    const saver = new AgentStateSaver(store);
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    for (let step = 0; step < 4; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
      await saver.putWrites(config, [["messages", [`w${step}`]]], "task");
    }
    reset();
    const listed = [];
    for await (const tuple of saver.list({ configurable: { thread_id: "t" } }, { limit: 3 }))
      listed.push(tuple);
    expect(listed.map((t) => t.pendingWrites)).toEqual([
      [["task", "messages", ["w3"]]],
      [["task", "messages", ["w2"]]],
      [["task", "messages", ["w1"]]],
    ]);
    // The namespaces' entries, then one page of the namespace's heads with their writes.
    expect(calls).toEqual({ range: 2, roundTrips: 2 });
  });

  it("a put whose head is not written leaves nothing cached: a put naming it as parent reads its head", async () => {
    const memory = new MemoryStateStore();
    let failNextHead = false;
    const records: RecordStore = {
      get: (...args) => memory.records.get(...args),
      range: (...args) => memory.records.range(...args),
      clear: (...args) => memory.records.clear(...args),
      write: async (scope, ops, opts) => {
        if (failNextHead && ops.some((op) => "put" in op && /^c\/[^/]*\/[^/]*$/.test(op.put))) {
          failNextHead = false;
          // Long enough for the saver's caches to learn the put while it is in flight.
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new Error("the store is unavailable");
        }
        return memory.records.write(scope, ops, opts);
      },
    };
    const { store, calls, reset } = counting(Object.create(memory, { records: { value: records } }));
    const saver = new AgentStateSaver(store);
    const first = await saver.put(
      { configurable: { thread_id: "t", checkpoint_ns: "" } },
      checkpointAt(0),
      { source: "loop", step: 0, parents: {} },
      { messages: 1, step: 1, context: 1 },
    );
    failNextHead = true;
    const lost = checkpointAt(1);
    await expect(
      saver.put(first, lost, { source: "loop", step: 1, parents: {} }, { messages: 2, step: 2 }),
    ).rejects.toThrow("the store is unavailable");
    // A put that names the lost checkpoint as its parent cannot take its pointers from a cache.
    reset();
    const orphanParent = { configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: lost.id } };
    await saver.put(
      orphanParent,
      checkpointAt(2),
      { source: "loop", step: 2, parents: {} },
      { messages: 3, step: 3 },
    );
    expect(calls.get).toBe(1);
    // The latest checkpoint is still the first one's child only as stored: the lost put never became latest.
    expect(
      (await saver.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } }))?.checkpoint.id,
    ).not.toBe(lost.id);
  });
});
