import type { StateStore } from "@agent-state/core";
import { describeEachBackend } from "@agent-state/test-backends";
import { Mastra } from "@mastra/core/mastra";
import type { WorkflowsStorage } from "@mastra/core/storage";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { expect, it } from "vitest";
import { z } from "zod";
import { AgentStateMastraStore } from "../src/index.js";

const approve = createStep({
  id: "approve",
  inputSchema: z.object({ email: z.string() }),
  outputSchema: z.object({ sent: z.string() }),
  resumeSchema: z.object({ approved: z.boolean() }),
  execute: async ({ inputData, resumeData, suspend }) => {
    if (!resumeData?.approved) return await suspend({ reason: "needs approval" });
    return { sent: `mail to ${inputData.email}` };
  },
});

const mailer = createWorkflow({
  id: "mailer",
  inputSchema: z.object({ email: z.string() }),
  outputSchema: z.object({ sent: z.string() }),
})
  .then(approve)
  .commit();

/** One process: a Mastra with the workflow, over `store`. */
function boot(store: StateStore) {
  const storage = new AgentStateMastraStore({ store });
  const mastra = new Mastra({ workflows: { mailer }, storage, logger: false });
  return { workflow: mastra.getWorkflow("mailer"), storage };
}

describeEachBackend("a Mastra workflow on AgentStateMastraStore", (backend) => {
  it("suspends, and a new Mastra over the same store resumes it from its snapshot", async () => {
    const store = await backend.createStore();
    const first = boot(store);
    const run = await first.workflow.createRun({ resourceId: "user-ada" });
    const started = await run.start({ inputData: { email: "ada@example.com" } });
    expect(started.status).toBe("suspended");

    const restarted = boot(store);
    const workflows = (await restarted.storage.getStore("workflows")) as WorkflowsStorage;
    const snapshot = await workflows.loadWorkflowSnapshot({ workflowName: "mailer", runId: run.runId });
    expect(snapshot?.status).toBe("suspended");
    const listed = await workflows.listWorkflowRuns({ workflowName: "mailer", resourceId: "user-ada" });
    expect(listed.runs.map((r) => r.runId)).toEqual([run.runId]);

    const again = await restarted.workflow.createRun({ runId: run.runId });
    const resumed = await again.resume({ step: "approve", resumeData: { approved: true } });
    expect(resumed.status).toBe("success");
    expect(resumed.status === "success" && resumed.result).toEqual({ sent: "mail to ada@example.com" });
    const done = await workflows.loadWorkflowSnapshot({ workflowName: "mailer", runId: run.runId });
    expect(done?.status).toBe("success");
  });
});
