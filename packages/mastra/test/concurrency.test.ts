import type { StateStore } from "@agent-state/core";
import { describeEachBackend } from "@agent-state/test-backends";
import type { MastraDBMessage } from "@mastra/core/memory";
import type { MemoryStorage, WorkflowsStorage } from "@mastra/core/storage";
import type { WorkflowRunState } from "@mastra/core/workflows";
import { expect, it } from "vitest";
import { AgentStateMastraStore } from "../src/index.js";

function message(id: string, threadId: string, at: number): MastraDBMessage {
  return {
    id,
    role: "user",
    createdAt: new Date(at),
    threadId,
    resourceId: "user-1",
    type: "v2",
    content: { format: 2, parts: [{ type: "text", text: id }] },
  } as MastraDBMessage;
}

/** `length` Mastra processes on one store, each its own AgentStateMastraStore (nothing shared in memory). */
function processes<T>(store: StateStore, length: number, domain: "memory" | "workflows"): Promise<T[]> {
  return Promise.all(
    Array.from({ length }, async () => (await new AgentStateMastraStore({ store }).getStore(domain)) as T),
  );
}

// Several Mastra processes on one store: each its own AgentStateMastraStore (nothing shared in memory).
describeEachBackend("AgentStateMastraStore under concurrent writers", (backend) => {
  it("8 writers saving 5 messages each to one thread: nothing lost, the total exact", async () => {
    const store = await backend.createStore();
    const writers = await processes<MemoryStorage>(store, 8, "memory");
    const at = Date.UTC(2026, 0, 1);
    await writers[0]?.saveThread({
      thread: { id: "shared", resourceId: "user-1", createdAt: new Date(at), updatedAt: new Date(at) },
    });
    await Promise.all(
      writers.map((w, n) =>
        w.saveMessages({
          messages: Array.from({ length: 5 }, (_, i) => message(`w${n}-m${i}`, "shared", at + i)),
        }),
      ),
    );
    const page = await (writers[0] as MemoryStorage).listMessages({ threadId: "shared", perPage: 10 });
    expect(page.total).toBe(40);
    const all = await (writers[1] as MemoryStorage).listMessages({ threadId: "shared", perPage: false });
    expect(new Set(all.messages.map((m) => m.id)).size).toBe(40);
    expect(all.messages.map((m) => m.createdAt.getTime())).toEqual(
      [...all.messages.map((m) => m.createdAt.getTime())].sort((a, b) => a - b),
    );
  });

  it("concurrent metadata updates of one thread and one resource all survive (merged, not overwritten)", async () => {
    const store = await backend.createStore();
    const memories = await processes<MemoryStorage>(store, 6, "memory");
    const now = new Date();
    await memories[0]?.saveThread({ thread: { id: "t", resourceId: "r", createdAt: now, updatedAt: now } });
    await Promise.all(memories.map((m, i) => m.updateThread({ id: "t", metadata: { [`k${i}`]: i } })));
    await Promise.all(
      memories.map((m, i) => m.updateResource({ resourceId: "r", metadata: { [`k${i}`]: i } })),
    );
    const expected = Object.fromEntries(memories.map((_, i) => [`k${i}`, i]));
    expect((await memories[0]?.getThreadById({ threadId: "t" }))?.metadata).toEqual(expected);
    expect((await memories[0]?.getResourceById({ resourceId: "r" }))?.metadata).toEqual(expected);
  });

  it("concurrent step results of one workflow run all land in its snapshot", async () => {
    const store = await backend.createStore();
    const workflows = await processes<WorkflowsStorage>(store, 6, "workflows");
    const snapshot = {
      runId: "run-1",
      status: "running",
      value: {},
      context: {},
      serializedStepGraph: [],
      activePaths: [],
      activeStepsPath: {},
      suspendedPaths: {},
      resumeLabels: {},
      waitingPaths: {},
      timestamp: Date.now(),
    } as unknown as WorkflowRunState;
    await workflows[0]?.persistWorkflowSnapshot({ workflowName: "wf", runId: "run-1", snapshot });
    await Promise.all(
      workflows.map((w, i) =>
        w.updateWorkflowResults({
          workflowName: "wf",
          runId: "run-1",
          stepId: `step${i}`,
          result: { status: "success", output: i, payload: {}, startedAt: 1, endedAt: 2 },
          requestContext: {},
        }),
      ),
    );
    const stored = await workflows[0]?.loadWorkflowSnapshot({ workflowName: "wf", runId: "run-1" });
    expect(Object.keys(stored?.context ?? {}).sort()).toEqual(workflows.map((_, i) => `step${i}`).sort());
  });
});
