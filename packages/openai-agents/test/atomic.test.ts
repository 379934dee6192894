import { describeEachBackend, instrumented } from "@agent-state/test-backends";
import { type AgentInputItem, MemorySession, type SessionHistoryTransactionArgs } from "@openai/agents-core";
import { expect, it } from "vitest";
import { AgentStateSession } from "../src/index.js";

const say = (text: string): AgentInputItem => ({ role: "user", content: text });
const reply = (text: string): AgentInputItem => ({
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text }],
});

function replaceSuffix(
  operationId: string,
  expectedSuffix: AgentInputItem[],
  replacement: AgentInputItem[],
): SessionHistoryTransactionArgs {
  return { operationId, transaction: { type: "replace_suffix", expectedSuffix, replacement } };
}

// replace_suffix is one append with `replace` (atomic) whenever it removes at most 97 messages.
describeEachBackend("AgentStateSession replace_suffix atomicity", (backend) => {
  it("a replacement is one message write, an append with replace (no truncate)", async () => {
    const { store, writes } = instrumented(await backend.createStore());
    const reference = new MemorySession();
    const ours = new AgentStateSession({ store });
    const history = [say("q1"), reply("a1"), say("q2"), reply("a2")];
    for (const session of [reference, ours]) await session.addItems(structuredClone(history));
    writes.splice(0); // (the first append met no session, created it and appended again)
    const args = replaceSuffix("r1", history.slice(2), [say("q2, edited"), reply("a2b")]);
    for (const session of [reference, ours]) await session.applyHistoryTransaction(structuredClone(args));
    expect(writes.splice(0)).toEqual(["append+replace"]);
    expect(await ours.getItems()).toStrictEqual(await reference.getItems());
    // The same operation again is a no-op that writes no message.
    await ours.applyHistoryTransaction(structuredClone(args));
    expect(writes).toEqual([]);
    expect(await ours.getItems()).toStrictEqual(await reference.getItems());
  });

  it("a replacement whose write fails changes nothing; retrying the operation then applies it", async () => {
    const store = await backend.createStore();
    const reference = new MemorySession();
    const ours = new AgentStateSession({ store });
    const history = [say("q1"), reply("a1"), say("q2"), reply("a2"), say("q3"), reply("a3")];
    // One item per message: the suffix spans four messages.
    for (const item of history) for (const session of [reference, ours]) await session.addItems([item]);
    const sessionId = await ours.getSessionId();
    const { store: failing, writes } = instrumented(store, { failReplace: true });
    const args = replaceSuffix("r1", history.slice(2), [reply("summary")]);
    await expect(
      new AgentStateSession({ store: failing, sessionId }).applyHistoryTransaction(structuredClone(args)),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
    // Nothing was removed ahead of the failing write (a truncate then an append would have left q1, a1).
    expect(writes).toEqual(["append+replace"]);
    expect(await ours.getItems()).toStrictEqual(history);
    for (const session of [reference, ours]) await session.applyHistoryTransaction(structuredClone(args));
    expect(await ours.getItems()).toStrictEqual(await reference.getItems());
    expect(await ours.getItems()).toStrictEqual([say("q1"), reply("a1"), reply("summary")]);
  });

  it("removing 90 messages for 30 items packs them into the 8 messages left: still one write", async () => {
    const { store, writes } = instrumented(await backend.createStore());
    const reference = new MemorySession();
    const ours = new AgentStateSession({ store });
    const history = Array.from({ length: 95 }, (_, i) => say(`m${i}`));
    for (const item of history) for (const session of [reference, ours]) await session.addItems([item]);
    writes.splice(0);
    const replacement = Array.from({ length: 30 }, (_, i) => reply(`r${i}`));
    const args = replaceSuffix("r1", history.slice(5), replacement);
    for (const session of [reference, ours]) await session.applyHistoryTransaction(structuredClone(args));
    expect(writes).toEqual(["append+replace"]);
    const sessionId = await ours.getSessionId();
    expect((await store.sessions.get(sessionId))?.messageCount).toBe(5 + 8);
    expect(await ours.getItems()).toStrictEqual(await reference.getItems());
    // Packed messages behave as any others afterwards.
    for (const session of [reference, ours]) await session.popItem();
    expect(await ours.getItems(3)).toStrictEqual(await reference.getItems(3));
    expect(await ours.getItems()).toStrictEqual(await reference.getItems());
  });

  it("removing 98 messages or more truncates the newest of them first, then replaces (not atomic)", async () => {
    const { store, writes } = instrumented(await backend.createStore());
    const reference = new MemorySession();
    const ours = new AgentStateSession({ store });
    const history = Array.from({ length: 101 }, (_, i) => say(`m${i}`));
    for (const item of history) for (const session of [reference, ours]) await session.addItems([item]);
    writes.splice(0);
    // 99 messages removed, 2 appended: 3 truncated first, then 96 removed with the 2 appended.
    const args = replaceSuffix("r1", history.slice(2), [reply("summary"), say("next")]);
    for (const session of [reference, ours]) await session.applyHistoryTransaction(structuredClone(args));
    expect(writes).toEqual(["truncate", "append+replace"]);
    expect(await ours.getItems()).toStrictEqual(await reference.getItems());
    expect(await ours.getItems()).toStrictEqual([say("m0"), say("m1"), reply("summary"), say("next")]);
  });
});
