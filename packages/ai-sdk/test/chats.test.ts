import type { StateStore } from "@agent-state/core";
import { ManualClock } from "@agent-state/core/testing";
import { describeEachBackend, instrumented } from "@agent-state/test-backends";
import { type UIMessage, validateUIMessages } from "ai";
import { beforeEach, expect, it } from "vitest";
import { getActiveStreamId, listChats, loadChat, saveChat, setActiveStreamId } from "../src/index.js";

const user = (id: string, text: string): UIMessage => ({ id, role: "user", parts: [{ type: "text", text }] });
const assistant = (id: string, text: string): UIMessage => ({
  id,
  role: "assistant",
  metadata: { model: "mock", tokens: 3 },
  parts: [{ type: "step-start" }, { type: "text", text, state: "done" }],
});

describeEachBackend("loadChat / saveChat", (backend) => {
  let store: StateStore;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    store = await backend.createStore({ clock: clock.now });
  });

  it("a missing chat loads as []; saved messages load back equal and pass validateUIMessages", async () => {
    expect(await loadChat(store, "c1")).toEqual([]);
    const messages = [user("u1", "Weather in Oslo?"), assistant("a1", "Sunny.")];
    expect(await saveChat(store, { chatId: "c1", messages })).toEqual({ kept: 0, removed: 0, appended: 2 });
    const loaded = await loadChat(store, "c1");
    expect(loaded).toEqual(messages);
    expect(await validateUIMessages({ messages: loaded })).toEqual(messages);
  });

  it("continuation only appends; saving the same messages again writes nothing", async () => {
    const first = [user("u1", "Hi"), assistant("a1", "Hello")];
    await saveChat(store, { chatId: "c", messages: first });
    const next = [...first, user("u2", "More?"), assistant("a2", "Sure")];
    expect(await saveChat(store, { chatId: "c", messages: next })).toEqual({
      kept: 2,
      removed: 0,
      appended: 2,
    });
    expect(await saveChat(store, { chatId: "c", messages: next })).toEqual({
      kept: 4,
      removed: 0,
      appended: 0,
    });
    expect((await store.sessions.get("c"))?.messageCount).toBe(4);
    expect(await loadChat(store, "c")).toEqual(next);
  });

  it("regenerate replaces the last assistant message; an edit drops everything after the edited message", async () => {
    const chat = [user("u1", "Hi"), assistant("a1", "Hello"), user("u2", "Joke?"), assistant("a2", "No.")];
    await saveChat(store, { chatId: "c", messages: chat });
    const regenerated = [...chat.slice(0, 3), assistant("a2b", "Why did the chicken…")];
    expect(await saveChat(store, { chatId: "c", messages: regenerated })).toEqual({
      kept: 3,
      removed: 1,
      appended: 1,
    });
    expect(await loadChat(store, "c")).toEqual(regenerated);
    const edited = [chat[0]!, chat[1]!, user("u2", "A pun?")];
    expect(await saveChat(store, { chatId: "c", messages: edited })).toEqual({
      kept: 2,
      removed: 2,
      appended: 1,
    });
    expect(await loadChat(store, "c")).toEqual(edited);
  });

  it("long chats: 250 messages saved, then an edit at the start removes 249 (truncates of ≤ 99)", async () => {
    const long = Array.from({ length: 250 }, (_, i) =>
      i % 2 ? assistant(`a${i}`, `r${i}`) : user(`u${i}`, `q${i}`),
    );
    await saveChat(store, { chatId: "c", messages: long });
    expect(await loadChat(store, "c")).toEqual(long);
    const edited = [long[0]!, user("new", "different")];
    expect(await saveChat(store, { chatId: "c", messages: edited })).toEqual({
      kept: 1,
      removed: 249,
      appended: 1,
    });
    expect(await loadChat(store, "c")).toEqual(edited);
  });

  it("regenerate and edits are one atomic write each: an append with replace, no truncate", async () => {
    const chat = [user("u1", "Hi"), assistant("a1", "Hello"), user("u2", "Joke?"), assistant("a2", "No.")];
    const { store: counted, writes } = instrumented(store);
    await saveChat(counted, { chatId: "c", messages: chat });
    expect(writes.splice(0)).toEqual(["append"]);
    const regenerated = [...chat.slice(0, 3), assistant("a2b", "Why did the chicken…")];
    await saveChat(counted, { chatId: "c", messages: regenerated });
    expect(writes.splice(0)).toEqual(["append+replace"]);
    const edited = [chat[0]!, user("u1b", "A pun?"), assistant("a1b", "Pun-believable.")];
    expect(await saveChat(counted, { chatId: "c", messages: edited })).toEqual({
      kept: 1,
      removed: 3,
      appended: 2,
    });
    expect(writes.splice(0)).toEqual(["append+replace"]);
    // The limit exactly: 49 removed and 49 appended is still one write.
    const full = Array.from({ length: 50 }, (_, i) => user(`f${i}`, `q${i}`));
    await saveChat(counted, { chatId: "d", messages: full });
    writes.splice(0);
    const rewritten = [full[0]!, ...Array.from({ length: 49 }, (_, i) => user(`g${i}`, `p${i}`))];
    await saveChat(counted, { chatId: "d", messages: rewritten });
    expect(writes).toEqual(["append+replace"]);
    expect(await loadChat(store, "d")).toEqual(rewritten);
  });

  it("a replace that fails changes nothing: the stored chat is the old one, whole", async () => {
    const chat = [user("u1", "Hi"), assistant("a1", "Hello"), user("u2", "Joke?"), assistant("a2", "No.")];
    await saveChat(store, { chatId: "c", messages: chat });
    const { store: failing, writes } = instrumented(store, { failReplace: true });
    const edited = [chat[0]!, user("u1b", "A pun?")];
    await expect(saveChat(failing, { chatId: "c", messages: edited })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    // Nothing was removed on its own before the failing write (a truncate then an append would have left
    // only u1 here), so the old chat is intact, and the next save completes the edit.
    expect(writes).toEqual(["append+replace"]);
    expect(await loadChat(store, "c")).toEqual(chat);
    await saveChat(store, { chatId: "c", messages: edited });
    expect(await loadChat(store, "c")).toEqual(edited);
  });

  it("a difference over 98 truncates only what does not fit, then replaces; a failure leaves a shortened old chat", async () => {
    const long = Array.from({ length: 250 }, (_, i) =>
      i % 2 ? assistant(`a${i}`, `r${i}`) : user(`u${i}`, `q${i}`),
    );
    await saveChat(store, { chatId: "c", messages: long });
    const edited = [long[0]!, user("new", "different")];
    // 249 removed + 1 appended: 152 truncated first (99 + 53), the last 97 removed with the append.
    const { store: failing, writes: failed } = instrumented(store, { failReplace: true });
    await expect(saveChat(failing, { chatId: "c", messages: edited })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    expect(failed).toEqual(["truncate", "truncate", "append+replace"]);
    expect(await loadChat(store, "c")).toEqual(long.slice(0, 98));
    const { store: counted, writes } = instrumented(store);
    expect(await saveChat(counted, { chatId: "c", messages: edited })).toEqual({
      kept: 1,
      removed: 97,
      appended: 1,
    });
    expect(writes).toEqual(["append+replace"]);
    expect(await loadChat(store, "c")).toEqual(edited);
    // Many appended after an edit: 1 removed with the first 97 appended, the other 53 appended after.
    const grown = [
      edited[0]!,
      ...Array.from({ length: 150 }, (_, i) =>
        i % 2 ? assistant(`b${i}`, `s${i}`) : user(`v${i}`, `t${i}`),
      ),
    ];
    writes.splice(0);
    expect(await saveChat(counted, { chatId: "c", messages: grown })).toEqual({
      kept: 1,
      removed: 1,
      appended: 150,
    });
    expect(writes).toEqual(["append+replace", "append"]);
    expect(await loadChat(store, "c")).toEqual(grown);
  });

  it("concurrent saves of two continuations: both finish and the chat equals one of them", async () => {
    const base = [user("u1", "Hi")];
    await saveChat(store, { chatId: "c", messages: base });
    const a = [...base, assistant("a", "from A")];
    const b = [...base, assistant("b", "from B"), user("u2", "B again")];
    await Promise.all([
      saveChat(store, { chatId: "c", messages: a }),
      saveChat(store, { chatId: "c", messages: b }),
    ]);
    const loaded = await loadChat(store, "c");
    expect([a, b]).toContainEqual(loaded);
  });

  it("active stream id: set, read, cleared", async () => {
    expect(await getActiveStreamId(store, "c")).toBeNull();
    await setActiveStreamId(store, "c", "stream-1", { userId: "ada" });
    expect(await getActiveStreamId(store, "c")).toBe("stream-1");
    await saveChat(store, { chatId: "c", messages: [user("u1", "Hi")] });
    expect(await getActiveStreamId(store, "c")).toBe("stream-1");
    await setActiveStreamId(store, "c", null);
    expect(await getActiveStreamId(store, "c")).toBeNull();
  });

  it("listChats: the user's chats, most recently written first; other users' and non-chat sessions left out", async () => {
    await saveChat(store, { chatId: "old", userId: "ada", messages: [user("u", "1")] });
    clock.advance(1000);
    await saveChat(store, { chatId: "mid", userId: "ada", messages: [user("u", "2")] });
    clock.advance(1000);
    await saveChat(store, { chatId: "other", userId: "bob", messages: [user("u", "3")] });
    await store.sessions.create({ sessionId: "not-a-chat", userId: "ada" });
    clock.advance(1000);
    await saveChat(store, { chatId: "old", messages: [user("u", "1"), assistant("a", "again")] });
    const chats = await listChats(store, "ada");
    expect(chats.map((c) => c.chatId)).toEqual(["old", "mid"]);
    expect(chats[0]).toMatchObject({ messageCount: 2, activeStreamId: null });
    expect((await listChats(store, "ada", { limit: 1 })).map((c) => c.chatId)).toEqual(["old"]);
  });
});
