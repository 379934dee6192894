import type { MastraDBMessage } from "@mastra/core/memory";
import type { MemoryStorage, WorkflowsStorage } from "@mastra/core/storage";
import type { WorkflowRunState } from "@mastra/core/workflows";

/** One storage call: its domain, its method and its single argument object (or argument list). */
export interface Op {
  domain: "memory" | "workflows";
  method: string;
  args: unknown[];
}

export type Outcome = { value: unknown } | { threw: true };

export async function apply(
  stores: { memory: MemoryStorage; workflows: WorkflowsStorage },
  op: Op,
): Promise<Outcome> {
  const target = stores[op.domain] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  try {
    const method = target[op.method];
    if (!method) throw new Error(`no ${op.method}`);
    return { value: await method.apply(target, structuredClone(op.args)) };
  } catch (error) {
    if (process.env.DEBUG_DIFF) console.error(op.method, error);
    return { threw: true };
  }
}

const THREADS = ["t0", "t1", "t2", "t3"];
/** Ids copyThread copies to (and that reads also name, so the copies get read back). */
const COPIES = ["c0", "c1"];
const RESOURCES = ["r0", "r1", "r2"];
const WORKFLOWS = ["wf-a", "wf-b"];
const RUNS = ["run0", "run1", "run2", "run3"];

/** Random storage calls over small id pools, so that calls keep meeting one another's data. */
export function opGenerator(random: () => number, now: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const chance = (p: number) => random() < p;
  const int = (n: number) => Math.floor(random() * n);
  let messageCount = 0;
  const messageIds = () => Array.from({ length: 1 + int(3) }, () => `m${int(messageCount + 2)}`);

  function message(): MastraDBMessage {
    const id = chance(0.25) && messageCount > 0 ? `m${int(messageCount)}` : `m${messageCount++}`;
    const text = `text ${int(1000)}`;
    return {
      id,
      role: pick(["user", "assistant"] as const),
      createdAt: new Date(now() + int(5) - 2),
      threadId: pick(THREADS),
      ...(chance(0.9) && { resourceId: chance(0.85) ? "r0" : pick(RESOURCES) }),
      type: "v2",
      content: {
        format: 2,
        parts: [{ type: "text", text }],
        ...(chance(0.5) && { metadata: { tag: pick(["a", "b"]), n: int(3) } }),
      },
    } as MastraDBMessage;
  }

  function pagination(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const r = random();
    if (r < 0.2) return out;
    if (r < 0.3) return { perPage: false };
    out.perPage = chance(0.1) ? 0 : 1 + int(6);
    out.page = int(3);
    return out;
  }

  function snapshot(runId: string): WorkflowRunState {
    return {
      runId,
      status: pick(["running", "suspended", "success"] as const),
      value: {},
      context: {
        input: { n: int(10) },
        step1: { status: "success", output: { v: int(9) }, startedAt: now(), endedAt: now() },
      },
      serializedStepGraph: [],
      activePaths: [0],
      activeStepsPath: {},
      suspendedPaths: {},
      resumeLabels: {},
      waitingPaths: {},
      timestamp: now(),
      ...(chance(0.3) && { result: { at: new Date(now()), missing: undefined } }),
    } as unknown as WorkflowRunState;
  }

  return function next(): Op {
    const r = random();
    const memory = (method: string, ...args: unknown[]): Op => ({ domain: "memory", method, args });
    const workflows = (method: string, ...args: unknown[]): Op => ({ domain: "workflows", method, args });
    if (r < 0.1) {
      const at = new Date(now());
      return memory("saveThread", {
        thread: {
          id: pick(THREADS),
          resourceId: chance(0.7) ? "r0" : pick(RESOURCES),
          ...(chance(0.8) && { title: `title ${int(9)}` }),
          ...(chance(0.6) && { metadata: { kind: pick(["x", "y"]), level: int(3), nested: { at } } }),
          createdAt: at,
          updatedAt: at,
        },
      });
    }
    if (r < 0.15)
      return memory("getThreadById", {
        threadId: pick(THREADS),
        ...(chance(0.3) && { resourceId: pick(RESOURCES) }),
      });
    if (r < 0.2) {
      return memory("updateThread", {
        id: pick(THREADS),
        ...(chance(0.5) && { title: `new ${int(9)}` }),
        ...(chance(0.7) && { metadata: { workingMemory: `# notes ${int(99)}`, level: int(3) } }),
      });
    }
    if (r < 0.21) return memory("deleteThread", { threadId: pick([...THREADS, ...COPIES]) });
    if (r < 0.23) {
      const from = new Date(now() - int(30));
      return memory("copyThread", {
        sourceThreadId: pick(THREADS),
        ...(chance(0.9) && { newThreadId: chance(0.2) ? pick(THREADS) : pick(COPIES) }),
        ...(chance(0.3) && { resourceId: pick(RESOURCES) }),
        ...(chance(0.3) && { title: "copy" }),
        ...(chance(0.3) && { metadata: { kind: "x" } }),
        ...(chance(0.5) && {
          options: {
            ...(chance(0.5) && { messageLimit: 1 + int(4) }),
            ...(chance(0.5) && {
              messageFilter: chance(0.5) ? { startDate: from } : { messageIds: messageIds() },
            }),
          },
        }),
      });
    }
    if (r < 0.27) {
      return memory("listThreads", {
        ...pagination(),
        ...(chance(0.7) && {
          filter: { resourceId: pick(RESOURCES), ...(chance(0.2) && { metadata: { kind: "x" } }) },
        }),
        ...(chance(0.6) && {
          orderBy: { field: pick(["createdAt", "updatedAt"]), direction: pick(["ASC", "DESC"]) },
        }),
      });
    }
    if (r < 0.45) {
      const batch = Array.from({ length: 1 + int(4) }, message);
      const sameThread = chance(0.7) ? pick(THREADS) : undefined;
      if (sameThread) for (const m of batch) m.threadId = sameThread;
      return memory("saveMessages", { messages: batch });
    }
    if (r < 0.62) {
      const from = new Date(now() - int(40));
      return memory("listMessages", {
        threadId: chance(0.85) ? pick([...THREADS, ...COPIES]) : [pick(THREADS), pick(COPIES)],
        ...(chance(0.4) && { resourceId: pick(["r0", "r0", "r1"]) }),
        ...pagination(),
        ...(chance(0.5) && { orderBy: { field: "createdAt", direction: pick(["ASC", "DESC"]) } }),
        ...(chance(0.15) && { filter: { dateRange: { start: from, startExclusive: chance(0.5) } } }),
        ...(chance(0.1) && { filter: { dateRange: { end: from, endExclusive: chance(0.5) } } }),
        ...(chance(0.1) && { filter: { metadata: { tag: "a" } } }),
        ...(chance(0.15) && {
          include: [
            { id: `m${int(messageCount + 1)}`, withPreviousMessages: int(3), withNextMessages: int(3) },
          ],
        }),
      });
    }
    if (r < 0.66) return memory("listMessagesById", { messageIds: messageIds() });
    if (r < 0.72) {
      return memory("updateMessages", {
        messages: [
          {
            id: `m${int(messageCount + 1)}`,
            ...(chance(0.5) && {
              content: { metadata: { edited: true }, parts: [{ type: "text", text: "edited" }] },
            }),
            ...(chance(0.2) && { threadId: pick(THREADS) }),
            ...(chance(0.2) && { role: pick(["user", "assistant"]) }),
            ...(chance(0.15) && { resourceId: pick(RESOURCES) }),
            ...(chance(0.15) && { createdAt: new Date(now() - int(20)) }),
          },
        ],
      });
    }
    if (r < 0.75) return memory("deleteMessages", messageIds());
    if (r < 0.765) return memory("getResourceById", { resourceId: pick(RESOURCES) });
    if (r < 0.78)
      return memory("updateThreadResourceId", { threadId: pick(THREADS), resourceId: pick(RESOURCES) });
    if (r < 0.8) {
      const at = new Date(now());
      return memory("saveResource", {
        resource: {
          id: pick(RESOURCES),
          workingMemory: `wm ${int(9)}`,
          metadata: { a: int(3) },
          createdAt: at,
          updatedAt: at,
        },
      });
    }
    if (r < 0.84) {
      return memory("updateResource", {
        resourceId: pick(RESOURCES),
        ...(chance(0.8) && { workingMemory: `# user\n- name: ${int(99)}` }),
        ...(chance(0.4) && { metadata: { b: int(3) } }),
      });
    }
    const workflowName = pick(WORKFLOWS);
    const runId = pick(RUNS);
    if (r < 0.88) {
      return workflows("persistWorkflowSnapshot", {
        workflowName,
        runId,
        ...(chance(0.6) && { resourceId: pick(RESOURCES) }),
        snapshot: snapshot(runId),
      });
    }
    if (r < 0.9) return workflows("loadWorkflowSnapshot", { workflowName, runId });
    if (r < 0.93) {
      return workflows("listWorkflowRuns", {
        ...(chance(0.5) && { workflowName }),
        ...(chance(0.3) && { resourceId: pick(RESOURCES) }),
        ...(chance(0.2) && { status: pick(["running", "success"]) }),
        ...(chance(0.4) && { perPage: 1 + int(3), page: int(2) }),
      });
    }
    if (r < 0.95) return workflows("getWorkflowRunById", { runId, ...(chance(0.5) && { workflowName }) });
    if (r < 0.96) return workflows("deleteWorkflowRunById", { runId, workflowName });
    if (r < 0.98) {
      return workflows("updateWorkflowResults", {
        workflowName,
        runId,
        stepId: pick(["step1", "step2"]),
        result: { status: "success", output: { v: int(9) }, startedAt: now(), endedAt: now() },
        requestContext: { user: pick(RESOURCES) },
      });
    }
    return workflows("updateWorkflowState", {
      workflowName,
      runId,
      opts: {
        status: pick(["running", "success", "failed"]),
        ...(chance(0.5) && { expectedStatus: "running" }),
      },
    });
  };
}
