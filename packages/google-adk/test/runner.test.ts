import { describeEachBackend } from "@agent-state/test-backends";
import {
  BaseLlm,
  type BaseLlmConnection,
  type Context,
  type Event,
  FunctionTool,
  InMemorySessionService,
  LlmAgent,
  type LlmRequest,
  type LlmResponse,
  Runner,
} from "@google/adk";
import { expect, it } from "vitest";
import { AgentStateSessionService } from "../src/index.js";
import { normalise } from "./ops.js";

type Content = LlmRequest["contents"][number];

/**
 * A model that answers from a script, no network: it calls the `remember` tool when the user says
 * "my name is …", and otherwise answers with what it can see of the conversation (so a test can tell what
 * history it was given).
 */
class ScriptedModel extends BaseLlm {
  readonly requests: Content[][] = [];

  constructor() {
    super({ model: "scripted" });
  }

  async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    this.requests.push(structuredClone(request.contents));
    const last = request.contents.at(-1);
    const text = last?.parts?.[0]?.text ?? "";
    const name = /my name is (\w+)/i.exec(text)?.[1];
    if (name && last?.role === "user") {
      yield {
        content: {
          role: "model",
          parts: [{ functionCall: { id: "call-1", name: "remember", args: { name } } }],
        },
      };
      return;
    }
    const userTurns = request.contents.filter((c) => c.role === "user" && c.parts?.[0]?.text).length;
    yield { content: { role: "model", parts: [{ text: `I have seen ${userTurns} user messages.` }] } };
  }

  async connect(): Promise<BaseLlmConnection> {
    throw new Error("live connections are not scripted");
  }
}

const remember = new FunctionTool({
  name: "remember",
  description: "Remembers the user's name.",
  parameters: {
    type: "OBJECT",
    properties: { name: { type: "STRING" } },
    required: ["name"],
  } as never,
  execute: (input: unknown, context?: Context) => {
    const { name } = input as { name: string };
    context?.state.set("user:name", name);
    context?.state.set("temp:scratch", "not kept");
    context?.state.set("app:greetings", 1);
    return { remembered: name };
  },
});

function agent(model: BaseLlm): LlmAgent {
  return new LlmAgent({
    name: "helper",
    model,
    instruction: "Be brief.",
    tools: [remember],
    outputKey: "lastAnswer",
  });
}

async function turn(runner: Runner, sessionId: string, text: string): Promise<Event[]> {
  const events: Event[] = [];
  for await (const event of runner.runAsync({
    userId: "ada",
    sessionId,
    newMessage: { role: "user", parts: [{ text }] },
  })) {
    events.push(event);
  }
  return events;
}

describeEachBackend("Runner on AgentStateSessionService", (backend) => {
  it("resumes a session after a restart (a new service over the same store), history and state intact", async () => {
    const store = await backend.createStore();
    const model = new ScriptedModel();
    const before = new AgentStateSessionService(store);
    const session = await before.createSession({ appName: "demo", userId: "ada" });
    const first = new Runner({ appName: "demo", agent: agent(model), sessionService: before });
    const firstEvents = await turn(first, session.id, "Hi, my name is Ada");
    expect(firstEvents.map((e) => e.author)).toStrictEqual(["helper", "helper", "helper"]);

    // The process restarts: a new service over the same store, a new runner, the same session id.
    const after = new AgentStateSessionService(store);
    const second = new Runner({ appName: "demo", agent: agent(model), sessionService: after });
    const secondEvents = await turn(second, session.id, "What do you know?");
    expect(secondEvents.at(-1)?.content?.parts?.[0]?.text).toBe("I have seen 2 user messages.");
    // The model was given the whole first turn (the call, its result, the answer) before the new message.
    const history = model.requests.at(-1) ?? [];
    expect(history.map((c) => c.role)).toStrictEqual(["user", "model", "user", "model", "user"]);
    expect(history[1]?.parts?.[0]?.functionCall?.name).toBe("remember");
    expect(history[2]?.parts?.[0]?.functionResponse?.response).toStrictEqual({ remembered: "Ada" });

    const resumed = await after.getSession({ appName: "demo", userId: "ada", sessionId: session.id });
    expect(resumed?.events).toHaveLength(6);
    expect(resumed?.state).toStrictEqual({
      lastAnswer: "I have seen 2 user messages.",
      "user:name": "Ada",
      "app:greetings": 1,
    });
    // The user's next session sees the user: and app: state.
    const next = await after.createSession({ appName: "demo", userId: "ada" });
    expect(next.state).toStrictEqual({ "user:name": "Ada", "app:greetings": 1 });
  });

  it("a run stores what ADK's InMemorySessionService stores for the same run", async () => {
    const store = await backend.createStore();
    const ours = new AgentStateSessionService(store);
    const reference = new InMemorySessionService();
    const sessions = [];
    for (const service of [ours, reference]) {
      const session = await service.createSession({ appName: "demo", userId: "ada", sessionId: "s" });
      const runner = new Runner({
        appName: "demo",
        agent: agent(new ScriptedModel()),
        sessionService: service,
      });
      await turn(runner, session.id, "my name is Grace");
      await turn(runner, session.id, "and now?");
      sessions.push(await service.getSession({ appName: "demo", userId: "ada", sessionId: "s" }));
    }
    const [mine, theirs] = sessions.map((s) => normalise(s) as { events: Event[]; lastUpdateTime: number });
    // Event ids, invocation ids and timestamps are generated per run: compare the rest.
    const strip = (s: { events: Event[]; lastUpdateTime: number }) => ({
      ...s,
      lastUpdateTime: 0,
      events: s.events.map((e) => ({ ...e, id: "", invocationId: "", timestamp: 0 })),
    });
    expect(strip(mine as never)).toStrictEqual(strip(theirs as never));
    expect(mine?.events).toHaveLength(6);
  });
});
