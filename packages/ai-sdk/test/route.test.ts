import type { StateStore } from "@agent-state/core";
import { describeEachBackend } from "@agent-state/test-backends";
import { convertToModelMessages, streamText, type UIMessage, validateUIMessages } from "ai";
import { expect, it } from "vitest";
import { getActiveStreamId, listChats, loadChat, saveChat, setActiveStreamId } from "../src/index.js";
import { mockModel } from "./mock-model.js";

/** The chat route of a server: loads the chat, streams the model's reply, saves the chat when it is done. */
function chatRoute(store: StateStore, replies: string[]) {
  const model = mockModel(...replies);
  return async (req: Request): Promise<Response> => {
    const { id, message, trigger } = (await req.json()) as {
      id: string;
      message?: UIMessage;
      trigger?: string;
    };
    let messages = await loadChat(store, id);
    // Regenerate: drop the last assistant message and answer its user message again.
    if (trigger === "regenerate" && messages.at(-1)?.role === "assistant") messages = messages.slice(0, -1);
    if (message) messages = [...messages, message];
    await setActiveStreamId(store, id, `stream-${messages.length}`, { userId: "ada" });
    const result = streamText({ model, messages: await convertToModelMessages(messages) });
    return result.toUIMessageStreamResponse({
      originalMessages: messages,
      generateMessageId: () => `reply-${messages.length}`,
      onFinish: async ({ messages: finished }) => {
        await saveChat(store, { chatId: id, messages: finished });
        await setActiveStreamId(store, id, null);
      },
    });
  };
}

const post = (route: (req: Request) => Promise<Response>, body: unknown) =>
  route(new Request("http://localhost/api/chat", { method: "POST", body: JSON.stringify(body) }));
const text = (message: UIMessage | undefined) => message?.parts.find((p) => p.type === "text")?.text;

describeEachBackend("a chat route with a mock model", (backend) => {
  it("streams, persists every turn, regenerates, and the saved chat passes validateUIMessages", async () => {
    const store = await backend.createStore();
    const route = chatRoute(store, ["Hello Ada!", "Oslo is sunny.", "Oslo: 14 °C."]);

    const first = await post(route, {
      id: "chat-1",
      message: { id: "u1", role: "user", parts: [{ type: "text", text: "Hi" }] },
    });
    expect(await first.text()).toContain("Hello ");
    const second = await post(route, {
      id: "chat-1",
      message: { id: "u2", role: "user", parts: [{ type: "text", text: "Oslo?" }] },
    });
    await second.text();
    let saved = await validateUIMessages({ messages: await loadChat(store, "chat-1") });
    expect(saved.map((m) => [m.id, m.role, text(m)])).toEqual([
      ["u1", "user", "Hi"],
      ["reply-1", "assistant", "Hello Ada!"],
      ["u2", "user", "Oslo?"],
      ["reply-3", "assistant", "Oslo is sunny."],
    ]);

    await (await post(route, { id: "chat-1", trigger: "regenerate" })).text();
    saved = await validateUIMessages({ messages: await loadChat(store, "chat-1") });
    expect(saved).toHaveLength(4);
    expect(text(saved[3])).toBe("Oslo: 14 °C.");
    expect((await store.sessions.get("chat-1"))?.messageCount).toBe(4);
    expect(await getActiveStreamId(store, "chat-1")).toBeNull();
    expect((await listChats(store, "ada")).map((c) => c.chatId)).toEqual(["chat-1"]);
  });
});

it("saveChat rejects what is not a UI message before writing anything", async () => {
  const { MemoryStateStore } = await import("@agent-state/memory");
  const store = new MemoryStateStore();
  await expect(
    saveChat(store, {
      chatId: "c",
      messages: [{ id: "x", role: "tool", parts: [] } as unknown as UIMessage],
    }),
  ).rejects.toMatchObject({ code: "VALIDATION" });
  expect(await store.sessions.get("c")).toBeNull();
});
