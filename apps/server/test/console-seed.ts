import type { StateStore } from "@agent-state/core";
import { AgentStateSaver } from "@agent-state/langgraph";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

export const USER = "ana";
export const AGENT = "travel-planner";
export const SESSION = "trip/oslo";
export const MESSAGES = 60;
export const THREAD = "trip-thread-1";

/** A small LangGraph graph: `plan` picks the city, `forecast` writes the forecast for it. */
export function tripGraph(store: StateStore) {
  const State = Annotation.Root({
    request: Annotation<string>(),
    city: Annotation<string>(),
    notes: Annotation<{ from: string; text: string }[]>({
      reducer: (a, b) => a.concat(b),
      default: () => [],
    }),
  });
  return new StateGraph(State)
    .addNode("plan", (s) => ({
      city: s.request.replace(/^weather in /i, ""),
      notes: [{ from: "plan", text: `looking up ${s.request}` }],
    }))
    .addNode("forecast", (s) => ({
      notes: [{ from: "forecast", text: `Forecast for ${s.city}: 4 °C, rain` }],
    }))
    .addEdge(START, "plan")
    .addEdge("plan", "forecast")
    .addEdge("forecast", END)
    .compile({ checkpointer: new AgentStateSaver(store) });
}

/**
 * What the console walk looks at: a user with three sessions (one with 60 messages, tool calls among them),
 * preferences, tool-cache entries of two tools, and a LangGraph thread of four checkpoints.
 */
export async function seedConsoleData(store: StateStore): Promise<void> {
  // Active in this order, a few ms apart so that "most recently active first" has one answer.
  await store.sessions.create({ sessionId: "trip/rome", userId: USER, agentId: AGENT, state: {} });
  await pause();
  await store.sessions.create({
    sessionId: "chat-3",
    userId: USER,
    agentId: "helper",
    state: { mood: "ok" },
  });
  await pause();
  await store.sessions.create({
    sessionId: SESSION,
    userId: USER,
    agentId: AGENT,
    state: { destination: "Oslo", budget: { currency: "NOK", max: 12000 }, steps: ["flights", "hotel"] },
  });
  const messages = Array.from({ length: MESSAGES }, (_, i) => {
    if (i % 10 === 1)
      return {
        role: "assistant" as const,
        content: "Let me check the weather.",
        metadata: { toolCalls: [{ id: `call-${i}`, name: "weather", args: { city: "Oslo" } }] },
      };
    if (i % 10 === 2)
      return {
        role: "tool" as const,
        content: '{"c":4,"sky":"rain"}',
        metadata: { toolCallId: `call-${i - 1}`, model: "none" },
      };
    return {
      role: i % 2 === 0 ? ("user" as const) : ("assistant" as const),
      content: `message ${i}`,
    };
  });
  await store.sessions.append(SESSION, messages);
  await store.sessions.update(SESSION, { lastToolCall: "weather" });
  await store.preferences.set(USER, AGENT, { units: "metric", language: "en", seats: { aisle: true } });
  await store.toolCache.set("weather", { city: "Oslo" }, { c: 4, sky: "rain" }, { ttlSeconds: 600 });
  await store.toolCache.set("weather", { city: "Rome" }, { c: 19, sky: "sun" }, { ttlSeconds: 600 });
  await store.toolCache.set("news", { q: "oslo" }, ["fjord opens"], { ttlSeconds: 600 });
  await tripGraph(store).invoke({ request: "weather in Oslo" }, { configurable: { thread_id: THREAD } });
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}
