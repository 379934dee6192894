import type { StateStore } from "@agent-state/core";
import { AIMessage, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import {
  Annotation,
  type BaseCheckpointSaver,
  Command,
  END,
  interrupt,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
} from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { AgentStateSaver } from "../../src/index.js";

/** A backend under test: `open` gives a store on fresh data; `reopen` another store over the same data. */
export interface GraphBackend {
  open(): Promise<{ store: StateStore; reopen(): Promise<StateStore>; dispose(): Promise<void> }>;
}

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  approved: Annotation<string | null>({ reducer: (_, next) => next, default: () => null }),
});

/** A fake model that answers with how many messages it saw, then a node that asks a human to approve. */
export function buildGraph(checkpointer: BaseCheckpointSaver, replyBytes = 0) {
  const approval = new StateGraph(State)
    .addNode("ask", (s) => ({ approved: interrupt({ question: `send ${s.messages.length}?` }) as string }))
    .addEdge(START, "ask")
    .addEdge("ask", END)
    .compile();
  return new StateGraph(State)
    .addNode("model", (s) => ({
      messages: [new AIMessage(`reply to ${s.messages.length}${"x".repeat(replyBytes)}`)],
    }))
    .addNode("approval", approval)
    .addEdge(START, "model")
    .addEdge("model", "approval")
    .addEdge("approval", END)
    .compile({ checkpointer });
}

/** The first interrupt's value in an invoke result. */
function interruptOf(result: object): unknown {
  return (result as { __interrupt__?: { value: unknown }[] }).__interrupt__?.[0]?.value;
}

function texts(messages: BaseMessage[]): string[] {
  return messages.map((m) => String(m.content).slice(0, 20));
}

/** A real StateGraph run with an interrupt in a subgraph, resumed by a "restarted process". */
export function describeGraphScenario(name: string, backend: GraphBackend): void {
  describe(`${name}: a StateGraph on AgentStateSaver`, () => {
    it("interrupts, survives a restart (new store and saver over the same data) and resumes", async () => {
      const { store, reopen, dispose } = await backend.open();
      try {
        const config = { configurable: { thread_id: "t-1" } };
        const first = buildGraph(new AgentStateSaver(store));
        const interrupted = await first.invoke({ messages: [new HumanMessage("hi")] }, config);
        expect(interruptOf(interrupted)).toEqual({ question: "send 2?" });

        const restarted = buildGraph(new AgentStateSaver(await reopen()));
        const waiting = await restarted.getState(config, { subgraphs: true });
        expect(waiting.next).toEqual(["approval"]);
        expect(texts(waiting.values.messages)).toEqual(["hi", "reply to 1"]);
        expect(waiting.tasks[0]?.interrupts[0]?.value).toEqual({ question: "send 2?" });

        const done = await restarted.invoke(new Command({ resume: "yes" }), config);
        expect(done.approved).toBe("yes");
        expect(texts(done.messages)).toEqual(["hi", "reply to 1"]);

        await restarted.invoke({ messages: [new HumanMessage("again")] }, config);
        const second = await restarted.invoke(new Command({ resume: "no" }), config);
        expect(second.approved).toBe("no");
        expect(texts(second.messages)).toEqual(["hi", "reply to 1", "again", "reply to 3"]);

        // The history matches MemorySaver's for the same run, newest first.
        const shape = async (graph: ReturnType<typeof buildGraph>) => {
          const rows: string[] = [];
          for await (const snapshot of graph.getStateHistory(config)) {
            rows.push(
              `${snapshot.metadata?.step} ${snapshot.next.join(",")} ${snapshot.values.messages?.length ?? 0}`,
            );
          }
          return rows;
        };
        const oracle = buildGraph(new MemorySaver());
        await oracle.invoke({ messages: [new HumanMessage("hi")] }, config);
        await oracle.invoke(new Command({ resume: "yes" }), config);
        await oracle.invoke({ messages: [new HumanMessage("again")] }, config);
        await oracle.invoke(new Command({ resume: "no" }), config);
        const history = await shape(restarted);
        expect(history).toEqual(await shape(oracle));
        expect(history.length).toBeGreaterThan(6);

        // Time travel: fork from the checkpoint before the second turn's model call.
        let beforeModel: Awaited<ReturnType<typeof restarted.getState>> | undefined;
        for await (const snapshot of restarted.getStateHistory(config)) {
          if (snapshot.next.includes("model") && snapshot.values.messages.length === 3)
            beforeModel = snapshot;
        }
        expect(beforeModel).toBeDefined();
        const forked = await restarted.invoke(null, beforeModel?.config);
        expect(interruptOf(forked)).toEqual({ question: "send 4?" });
      } finally {
        await dispose();
      }
    });

    it("keeps working when the messages channel grows past 2 MB", async () => {
      const { store, dispose } = await backend.open();
      try {
        const config = { configurable: { thread_id: "big" } };
        const graph = buildGraph(new AgentStateSaver(store), 450_000);
        for (let turn = 0; turn < 5; turn++) {
          await graph.invoke({ messages: [new HumanMessage(`turn ${turn}`)] }, config);
          await graph.invoke(new Command({ resume: "ok" }), config);
        }
        const state = await graph.getState(config);
        expect(state.values.messages.length).toBe(10);
        const bytes = (state.values.messages as BaseMessage[]).reduce(
          (n, m) => n + String(m.content).length,
          0,
        );
        expect(bytes).toBeGreaterThan(2_000_000);
        expect(String(state.values.messages[9]?.content).startsWith("reply to 9")).toBe(true);
      } finally {
        await dispose();
      }
    });
  });
}
