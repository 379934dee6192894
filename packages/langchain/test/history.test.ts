import { describeEachBackend } from "@agent-state/test-backends";
import { type BaseListChatMessageHistory, InMemoryChatMessageHistory } from "@langchain/core/chat_history";
import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  mapChatMessagesToStoredMessages,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { expect, it } from "vitest";
import { AgentStateChatMessageHistory } from "../src/index.js";

const SAMPLES: BaseMessage[] = [
  new SystemMessage("You are terse."),
  new HumanMessage({ content: "Weather in Oslo? 🌦", id: "h1", name: "ada" }),
  new AIMessage({
    content: "",
    tool_calls: [{ id: "call_1", name: "weather", args: { city: "Oslo" }, type: "tool_call" }],
    response_metadata: { model: "fake", tokens: 3 },
  }),
  new ToolMessage({ content: "sunny", tool_call_id: "call_1", name: "weather" }),
  new AIMessage({
    content: [{ type: "text", text: "Sunny." }],
    additional_kwargs: { nested: { a: [1, null] } },
  }),
  new HumanMessage({
    content: [{ type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }],
  }),
];

type Op =
  | { op: "add"; messages: BaseMessage[] }
  | { op: "addOne"; message: BaseMessage }
  | { op: "get" }
  | { op: "clear" }
  | { op: "user"; text: string }
  | { op: "ai"; text: string };

async function apply(history: BaseListChatMessageHistory, op: Op): Promise<unknown> {
  switch (op.op) {
    case "add":
      return history.addMessages(op.messages);
    case "addOne":
      return history.addMessage(op.message);
    case "user":
      return history.addUserMessage(op.text);
    case "ai":
      return history.addAIMessage(op.text);
    case "clear":
      return history.clear();
    case "get":
      // Compared as LangChain's own serialized form: the class and every field of each message.
      return mapChatMessagesToStoredMessages(await history.getMessages());
  }
}

// LangChain's InMemoryChatMessageHistory is the judge: the same operations give the same results.
describeEachBackend("AgentStateChatMessageHistory vs InMemoryChatMessageHistory", (backend) => {
  it("the same operations give the same results, op by op", async () => {
    const store = await backend.createStore();
    const reference = new InMemoryChatMessageHistory();
    const ours = new AgentStateChatMessageHistory({ store, sessionId: "conversation" });
    const ops: Op[] = [
      { op: "get" },
      { op: "add", messages: SAMPLES },
      { op: "get" },
      { op: "user", text: "and Bergen?" },
      { op: "ai", text: "Rain." },
      { op: "addOne", message: SAMPLES[3]! },
      { op: "get" },
      { op: "clear" },
      { op: "get" },
      { op: "add", messages: SAMPLES.slice(0, 2) },
      { op: "add", messages: [] },
      { op: "get" },
    ];
    let compared = 0;
    for (const [step, op] of ops.entries()) {
      expect({ step, result: await apply(ours, op) }).toEqual({ step, result: await apply(reference, op) });
      compared++;
    }
    expect(compared).toBe(ops.length);
    // A fresh object on the same session id sees the same conversation (another process, after a restart).
    const again = new AgentStateChatMessageHistory({ store, sessionId: "conversation" });
    expect(await apply(again, { op: "get" })).toEqual(await apply(reference, { op: "get" }));
  });

  it("one stored message per chat message: 1,000 messages of 2 KB (2 MB, no 400 KB conversation cap)", async () => {
    const store = await backend.createStore();
    const ours = new AgentStateChatMessageHistory({ store, sessionId: "long" });
    const text = "x".repeat(2048);
    const messages = Array.from({ length: 1000 }, (_, i) =>
      i % 2 ? new AIMessage(`${i}${text}`) : new HumanMessage(`${i}${text}`),
    );
    await ours.addMessages(messages);
    expect((await store.sessions.get("long"))?.messageCount).toBe(1000);
    const back = await ours.getMessages();
    expect(back).toHaveLength(1000);
    expect(mapChatMessagesToStoredMessages(back)).toEqual(mapChatMessagesToStoredMessages(messages));
  });
});
