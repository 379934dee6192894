import { describeEachBackend } from "@agent-state/test-backends";
import { Agent, MemorySession, run, type Session } from "@openai/agents-core";
import { assistantMessage, ScriptedModel } from "@openai/agents-core/testing";
import { expect, it } from "vitest";
import { AgentStateSession } from "../src/index.js";

/** Three turns through the SDK's runner; a fresh session object (same id) before each, as after a restart. */
async function threeTurns(openSession: () => Session) {
  const model = new ScriptedModel([
    [assistantMessage("Hello, Ada.")],
    [assistantMessage("You asked about Oslo.")],
    [assistantMessage("Still sunny.")],
  ]);
  const agent = new Agent({ name: "helper", instructions: "Be brief.", model });
  const outputs: unknown[] = [];
  for (const input of ["Hi, I'm Ada.", "What did I ask about? Oslo.", "And now?"]) {
    const result = await run(agent, input, { session: openSession() });
    outputs.push(result.finalOutput);
  }
  model.assertComplete();
  return {
    outputs,
    inputs: model.calls.map((call) => call.request.input),
    history: await openSession().getItems(),
  };
}

describeEachBackend("run() with AgentStateSession", (backend) => {
  it("persists every turn and resumes from the store, exactly as with MemorySession", async () => {
    const store = await backend.createStore();
    const ours = await threeTurns(() => new AgentStateSession({ store, sessionId: "conversation-1" }));
    const reference = new MemorySession();
    const expected = await threeTurns(() => reference);

    expect(ours.outputs).toEqual(["Hello, Ada.", "You asked about Oslo.", "Still sunny."]);
    // The third model call saw the whole conversation so far: 2 earlier turns (user + assistant) + the input.
    expect(ours.inputs[2]).toHaveLength(5);
    expect(ours.inputs).toStrictEqual(expected.inputs);
    expect(ours.history).toStrictEqual(expected.history);
    expect(ours.history).toHaveLength(6);
    expect((await store.sessions.get("conversation-1"))?.messageCount).toBe(6);
  });
});
