import type { StateStore } from "@agent-state/core";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type Checkpoint, type CheckpointTuple, uuid6 } from "@langchain/langgraph-checkpoint";
import { describe, expect, it } from "vitest";
import { AgentStateSaver, type AgentStateSaverOptions } from "../../src/index.js";

const CONTEXT = "carried over ".repeat(50);

function checkpointAt(step: number): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: { messages: [`m${step}`], step, context: CONTEXT },
    channel_versions: { messages: step + 1, step: step + 1, context: 1 },
    versions_seen: {},
  };
}

/** A thread of `steps` super-steps (a write per step, a channel written once and carried over); its configs. */
async function thread(
  saver: AgentStateSaver,
  threadId: string,
  steps: number,
  ns = "",
): Promise<RunnableConfig[]> {
  let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  const configs: RunnableConfig[] = [];
  for (let step = 0; step < steps; step++) {
    if (step > 0) await saver.putWrites(config, [["messages", [`reply ${step}`]]], `task-${step}`);
    const versions =
      step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
    config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
    configs.push(config);
  }
  await saver.putWrites(config, [["messages", ["pending"]]], "task-last");
  return configs;
}

async function all(gen: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of gen) out.push(t);
  return out;
}

/** Every record key in a thread's scope (what storage holds). */
/** Checkpoint heads `c/<ns>/<id>` and the pending writes under them, `c/<ns>/<id>/<task>`. */
const headKeys = (keys: string[]) => keys.filter((k) => k.startsWith("c/") && k.split("/").length === 3);
const writesKeys = (keys: string[]) => keys.filter((k) => k.startsWith("c/") && k.split("/").length === 4);

async function keysOf(store: StateStore, scopePrefix: string, threadId: string): Promise<string[]> {
  const page = await store.records.range(`${scopePrefix}thread:${threadId}`, { limit: 1000 });
  return page.items.map((r) => r.key);
}

const stepOf = (t: CheckpointTuple) => t.checkpoint.channel_values.step;

/** prune, copyThread and shallow mode on a backend's records. */
export function describeLifecycleScenario(
  name: string,
  open: () => Promise<{ store: StateStore; dispose(): Promise<void> }>,
) {
  describe(`${name}: checkpoint lifecycle`, () => {
    async function withSaver(
      opts: AgentStateSaverOptions,
      fn: (saver: AgentStateSaver, store: StateStore, scopePrefix: string) => Promise<void>,
    ) {
      const { store, dispose } = await open();
      const scopePrefix = `lc-${uuid6(-1)}:`;
      try {
        await fn(new AgentStateSaver(store, { scopePrefix, ...opts }), store, scopePrefix);
      } finally {
        await dispose();
      }
    }

    it("prune keeps the last N checkpoints whole (carried-over values included) and removes the rest", async () => {
      await withSaver({}, async (saver, store, scopePrefix) => {
        const configs = await thread(saver, "t", 6);
        await thread(saver, "other", 2);
        const before = await keysOf(store, scopePrefix, "t");
        expect(await saver.prune("t", { keepLast: 2 })).toBe(4);
        const listed = await all(saver.list({ configurable: { thread_id: "t" } }));
        expect(listed.map(stepOf)).toEqual([5, 4]);
        expect(listed[0]?.checkpoint.channel_values).toEqual({ messages: ["m5"], step: 5, context: CONTEXT });
        expect(listed[0]?.pendingWrites).toEqual([["task-last", "messages", ["pending"]]]);
        expect(listed[1]?.pendingWrites).toEqual([["task-5", "messages", ["reply 5"]]]);
        // A fresh saver (no cache) reads the kept checkpoints whole; a pruned one is gone.
        const fresh = new AgentStateSaver(store, { scopePrefix });
        const latest = await fresh.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
        expect(latest?.checkpoint.channel_values.context).toBe(CONTEXT);
        expect(await fresh.getTuple(configs[1] as RunnableConfig)).toBeUndefined();
        expect(
          (await all(fresh.list({}))).filter((t) => t.config.configurable?.thread_id === "t"),
        ).toHaveLength(2);
        expect(await all(fresh.list({ configurable: { thread_id: "other" } }))).toHaveLength(2);
        // Storage shrank: the step-0 head stays only as the holder of the carried-over value.
        const after = await keysOf(store, scopePrefix, "t");
        expect(writesKeys(after)).toHaveLength(2);
        expect(headKeys(after)).toHaveLength(3);
        expect(after.length).toBeLessThan(before.length);
        // The thread goes on from the kept latest.
        const next = await saver.put(
          latest?.config as RunnableConfig,
          checkpointAt(6),
          { source: "loop", step: 6, parents: {} },
          { messages: 7, step: 7 },
        );
        expect((await fresh.getTuple(next))?.checkpoint.channel_values.context).toBe(CONTEXT);
      });
    });

    it("prune before a checkpoint removes the older ones; bad options are a ValidationError", async () => {
      await withSaver({}, async (saver) => {
        const configs = await thread(saver, "t", 5);
        const cut = configs[3]?.configurable?.checkpoint_id as string;
        expect(await saver.prune("t", { before: cut })).toBe(3);
        expect(
          (await all(saver.list({ configurable: { thread_id: "t", checkpoint_ns: "" } }))).map(stepOf),
        ).toEqual([4, 3]);
        expect(await saver.prune("t", { before: cut })).toBe(0);
        await expect(saver.prune("t", { keepLast: 0 })).rejects.toMatchObject({ code: "VALIDATION" });
        await expect(saver.prune("t", {} as never)).rejects.toMatchObject({ code: "VALIDATION" });
      });
    });

    it("the cross-thread index: one entry per thread, written by a saver's first put in it; list goes thread by thread", async () => {
      await withSaver({}, async (saver, store, scopePrefix) => {
        await thread(saver, "b", 3);
        await thread(saver, "a", 2);
        await thread(saver, "a", 1, "child:1");
        const index = async () =>
          (await store.records.range(`${scopePrefix}index`, { limit: 100 })).items.map((r) => [
            r.value,
            r.version,
          ]);
        expect(await index()).toEqual([
          [{ threadId: "a" }, 1],
          [{ threadId: "b" }, 1],
        ]);
        const listed = (await all(saver.list({}))).map((t) => [t.config.configurable?.thread_id, stepOf(t)]);
        // Thread by thread; within one, newest first across its namespaces (child:1's checkpoint is the newest).
        expect(listed).toEqual([
          ["a", 0],
          ["a", 1],
          ["a", 0],
          ["b", 2],
          ["b", 1],
          ["b", 0],
        ]);
        expect(await all(saver.list({}, { limit: 4 }))).toHaveLength(4);
        expect(await all(saver.list({ configurable: { checkpoint_ns: "child:1" } }))).toHaveLength(1);
        // Another saver (another process) writes the entry again with its first put in the thread.
        await thread(new AgentStateSaver(store, { scopePrefix }), "b", 1);
        expect(await index()).toEqual([
          [{ threadId: "a" }, 1],
          [{ threadId: "b" }, 2],
        ]);
        await saver.deleteThread("a");
        expect(await index()).toEqual([[{ threadId: "b" }, 2]]);
        expect((await all(saver.list({}))).every((t) => t.config.configurable?.thread_id === "b")).toBe(true);
      });
    });

    it("copyThread gives a new thread with the same history; both go on independently", async () => {
      await withSaver({}, async (saver, store, scopePrefix) => {
        await thread(saver, "src", 4);
        await thread(saver, "src", 2, "child:1");
        expect(await saver.copyThread("src", "dst")).toBe(6);
        const strip = (t: CheckpointTuple) => ({
          checkpoint: t.checkpoint,
          metadata: t.metadata,
          pendingWrites: t.pendingWrites,
          id: t.config.configurable?.checkpoint_id,
          ns: t.config.configurable?.checkpoint_ns,
          parent: t.parentConfig?.configurable?.checkpoint_id,
        });
        const fresh = new AgentStateSaver(store, { scopePrefix });
        const source = await all(fresh.list({ configurable: { thread_id: "src" } }));
        const copy = await all(fresh.list({ configurable: { thread_id: "dst" } }));
        expect(copy.map(strip)).toEqual(source.map(strip));
        expect(copy.every((t) => t.config.configurable?.thread_id === "dst")).toBe(true);
        expect(
          (await all(fresh.list({}))).filter((t) => t.config.configurable?.thread_id === "dst"),
        ).toHaveLength(6);
        await saver.deleteThread("src");
        const latest = await fresh.getTuple({ configurable: { thread_id: "dst", checkpoint_ns: "" } });
        expect(latest?.checkpoint.channel_values).toEqual({ messages: ["m3"], step: 3, context: CONTEXT });
        await expect(saver.copyThread("dst", "dst")).rejects.toMatchObject({ code: "VALIDATION" });
        await thread(saver, "busy", 1);
        await expect(saver.copyThread("dst", "busy")).rejects.toMatchObject({ code: "VALIDATION" });
      });
    });

    it("refreshOnRead: a checkpoint read past half its ttl gets a fresh ttl, writes included", async () => {
      const { store, dispose } = await open();
      try {
        // The saver's clock runs ahead of the store's: what the saver judges (visibility) moves on at once.
        let now = Date.now();
        const clock = () => now;
        const scopePrefix = `lc-${uuid6(-1)}:`;
        const opts = { scopePrefix, ttlSeconds: 100, clock };
        const refreshing = new AgentStateSaver(store, { ...opts, refreshOnRead: true });
        const plain = new AgentStateSaver(store, { ...opts, scopePrefix: `lc-${uuid6(-1)}:` });
        for (const saver of [refreshing, plain]) await thread(saver, "t", 3);
        const latest = { configurable: { thread_id: "t", checkpoint_ns: "" } };
        now += 60_000;
        for (const saver of [refreshing, plain]) expect(await saver.getTuple(latest)).toBeDefined();
        now += 60_000;
        const kept = await new AgentStateSaver(store, { ...opts, refreshOnRead: true }).getTuple(latest);
        expect(kept?.checkpoint.channel_values).toEqual({ messages: ["m2"], step: 2, context: CONTEXT });
        expect(kept?.pendingWrites).toEqual([["task-last", "messages", ["pending"]]]);
        expect(await plain.getTuple(latest)).toBeUndefined();
        expect(() => new AgentStateSaver(store, { refreshOnRead: true })).toThrow(/ttlSeconds/);
      } finally {
        await dispose();
      }
    });

    it("shallow mode keeps only the latest checkpoint of each namespace, whole", async () => {
      await withSaver({ shallow: true }, async (saver, store, scopePrefix) => {
        await thread(saver, "t", 5);
        await thread(saver, "t", 3, "child:1");
        const listed = await all(saver.list({ configurable: { thread_id: "t" } }));
        expect(listed.map(stepOf).sort()).toEqual([2, 4]);
        const fresh = new AgentStateSaver(store, { scopePrefix, shallow: true });
        const latest = await fresh.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
        expect(latest?.checkpoint.channel_values).toEqual({ messages: ["m4"], step: 4, context: CONTEXT });
        expect(latest?.pendingWrites).toEqual([["task-last", "messages", ["pending"]]]);
        const keys = await keysOf(store, scopePrefix, "t");
        expect(headKeys(keys)).toHaveLength(2);
        expect(writesKeys(keys)).toHaveLength(2);
        expect(
          (await all(fresh.list({}))).filter((t) => t.config.configurable?.thread_id === "t"),
        ).toHaveLength(2);
      });
    });
  });
}
