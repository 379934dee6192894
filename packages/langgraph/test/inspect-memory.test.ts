import { MemoryStateStore } from "@agent-state/memory";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { AgentStateSaver, diffJson, ThreadInspector } from "../src/index.js";

describe("diffJson", () => {
  it("lists added, removed and changed JSON paths, quoting keys that are not identifiers", () => {
    const { changes, truncated } = diffJson(
      { a: 1, list: [1, 2], gone: true, "odd key": { x: "y" }, kind: [1] },
      { a: 2, list: [1, 2, 3], "odd key": { x: "z" }, kind: { 0: 1 }, added: null },
    );
    expect(truncated).toBe(false);
    expect(changes).toEqual([
      { kind: "changed", path: "$.a", before: 1, after: 2 },
      { kind: "added", path: "$.list[2]", after: 3 },
      { kind: "removed", path: "$.gone", before: true },
      { kind: "changed", path: '$["odd key"].x', before: "y", after: "z" },
      { kind: "changed", path: "$.kind", before: [1], after: { 0: 1 } },
      { kind: "added", path: "$.added", after: null },
    ]);
    expect(diffJson({ same: [1, { a: "b" }] }, { same: [1, { a: "b" }] }).changes).toEqual([]);
  });

  it("stops at maxChanges and says so", () => {
    const before = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    const result = diffJson(before, {}, 3);
    expect(result.changes).toHaveLength(3);
    expect(result.truncated).toBe(true);
  });
});

describe("ThreadInspector on the memory store", () => {
  const State = Annotation.Root({
    topic: Annotation<string>(),
    log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });
  const graphOn = (store: MemoryStateStore) =>
    new StateGraph(State)
      .addNode("first", (s) => ({ log: [`first saw ${s.topic}`] }))
      .addNode("second", (s) => ({ log: [`second saw ${s.topic}`] }))
      .addEdge(START, "first")
      .addEdge("first", "second")
      .addEdge("second", END)
      .compile({ checkpointer: new AgentStateSaver(store) });

  it("lists threads and checkpoints newest first, diffs a checkpoint against its parent, forks", async () => {
    const store = new MemoryStateStore();
    await graphOn(store).invoke({ topic: "a" }, { configurable: { thread_id: "one" } });
    await graphOn(store).invoke({ topic: "b" }, { configurable: { thread_id: "two" } });
    const inspector = new ThreadInspector(store);

    const threads = await inspector.threads();
    expect(threads.items.map((t) => [t.threadId, t.step, t.source])).toEqual([
      ["one", 2, "loop"],
      ["two", 2, "loop"],
    ]);

    const first = await inspector.checkpoints("one", { limit: 2 });
    expect(first.items.map((c) => c.step)).toEqual([2, 1]);
    const rest = await inspector.checkpoints("one", { limit: 2, cursor: first.cursor ?? "" });
    expect(rest.items.map((c) => c.step)).toEqual([0, -1]);
    expect(rest.cursor).toBeNull();

    const afterFirst = first.items[1];
    const detail = await inspector.checkpoint("one", afterFirst?.checkpointId ?? "");
    expect(detail?.values).toMatchObject({ topic: "a", log: ["first saw a"] });
    // `first` added the log; LangGraph's branch channels moved on from `first` to `second`.
    expect(detail?.diff).toMatchObject({
      added: ["branch:to:second", "log"],
      removed: ["branch:to:first"],
      changed: [],
    });
    expect(detail?.diff.changes).toContainEqual({ kind: "added", path: "$.log", after: ["first saw a"] });
    expect(detail?.diff.changes).toContainEqual({
      kind: "removed",
      path: '$["branch:to:first"]',
      before: null,
    });
    expect(await inspector.checkpoint("one", "missing")).toBeNull();

    // Fork from "after first" with another topic: the next run continues there and `second` sees it.
    const forked = await inspector.fork("one", afterFirst?.checkpointId ?? "", {
      values: { topic: "forked" },
    });
    expect(forked?.parentId).toBe(afterFirst?.checkpointId);
    const forkDetail = await inspector.checkpoint("one", forked?.checkpointId ?? "");
    expect(forkDetail).toMatchObject({ source: "update", step: 2, parentId: afterFirst?.checkpointId });
    expect(forkDetail?.diff.changes).toEqual([
      { kind: "changed", path: "$.topic", before: "a", after: "forked" },
    ]);
    const resumed = await graphOn(store).invoke(null, { configurable: { thread_id: "one" } });
    expect(resumed.log).toEqual(["first saw a", "second saw forked"]);
    expect(await inspector.fork("one", "missing")).toBeNull();
  });
});
