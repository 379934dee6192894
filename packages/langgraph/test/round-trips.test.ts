import type { RecordStore, StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type Checkpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { describe, expect, it } from "vitest";
import { AgentStateSaver } from "../src/index.js";

/** A store whose records count their calls (each is one round trip on a remote backend). */
function counting(store: StateStore): { store: StateStore; calls: Record<string, number>; reset(): void } {
  const calls: Record<string, number> = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const records: RecordStore = {
    get: (...args) => {
      count("get");
      return store.records.get(...args);
    },
    range: (...args) => {
      count("range");
      return store.records.range(...args);
    },
    write: (...args) => {
      count("write");
      return store.records.write(...args);
    },
    clear: (...args) => {
      count("clear");
      return store.records.clear(...args);
    },
  };
  const wrapped = Object.create(store, { records: { value: records } }) as StateStore;
  return {
    store: wrapped,
    calls,
    reset: () => {
      for (const key of Object.keys(calls)) delete calls[key];
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
      putWrites: { write: 1 }, // one atomic batch
      put: { write: 3 }, // blobs + timeline; cross-thread index entry; then the head
      getTuple: { range: 2, get: 1 }, // latest head; then blobs and writes in parallel
      list: { range: 2, get: 1 },
    };
    expect(measured).toEqual([expected, expected]);
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
    expect(calls).toEqual({ get: 1, write: 3 });
    reset();
    await restarted.put(
      config,
      checkpointAt(2),
      { source: "loop", step: 2, parents: {} },
      { messages: 3, step: 3 },
    );
    expect(calls).toEqual({ write: 3 });
    const tuple = await restarted.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
    expect(tuple?.checkpoint.channel_values.context).toBe("carried over");
  });
});
