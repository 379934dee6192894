import { describeEachBackend, instrumented } from "@agent-state/test-backends";
import type { MastraDBMessage } from "@mastra/core/memory";
import type { MemoryStorage } from "@mastra/core/storage";
import { expect, it } from "vitest";
import { AgentStateMastraStore } from "../src/index.js";

function message(i: number, text: string, at: number): MastraDBMessage {
  return {
    id: `msg-${String(i).padStart(5, "0")}`,
    role: i % 2 === 0 ? "user" : "assistant",
    createdAt: new Date(at + i),
    threadId: "big",
    resourceId: "user-1",
    type: "v2",
    content: { format: 2, parts: [{ type: "text", text }] },
  } as MastraDBMessage;
}

function textOf(message: MastraDBMessage | undefined): string | undefined {
  return (message?.content.parts[0] as { text?: string } | undefined)?.text;
}

/** Counts what `fn` costs in record calls. */
async function cost(calls: string[], fn: () => Promise<unknown>): Promise<string[]> {
  const start = calls.length;
  await fn();
  return calls.slice(start);
}

describeEachBackend("a large Mastra thread", (backend) => {
  it("a 2 MB message among 5,000 messages: saved, paged and read back with a fixed number of calls", async () => {
    // Each records call (one store round trip) in order; `write!` would be an atomic write.
    const { store, records: calls } = instrumented(await backend.createStore());
    const memory = (await new AgentStateMastraStore({ store }).getStore("memory")) as MemoryStorage;
    const at = Date.UTC(2026, 0, 1);
    await memory.saveThread({
      thread: {
        id: "big",
        resourceId: "user-1",
        title: "big",
        createdAt: new Date(at),
        updatedAt: new Date(at),
      },
    });
    const big = "x".repeat(2 * 1024 * 1024);
    const all = Array.from({ length: 5000 }, (_, i) => message(i, i === 2500 ? big : `message ${i}`, at));
    for (let i = 0; i < all.length; i += 250) await memory.saveMessages({ messages: all.slice(i, i + 250) });

    // The last 40 (what an agent run recalls): the thread's meta and one range read.
    let page: Awaited<ReturnType<MemoryStorage["listMessages"]>> | undefined;
    const recent = await cost(calls, async () => {
      page = await memory.listMessages({
        threadId: "big",
        resourceId: "user-1",
        perPage: 40,
        orderBy: { field: "createdAt", direction: "DESC" },
      });
    });
    expect(recent).toEqual(["get", "range"]);
    expect(page?.total).toBe(5000);
    expect(page?.hasMore).toBe(true);
    expect(page?.messages.map((m) => m.id)).toEqual(
      all
        .slice(-40)
        .reverse()
        .map((m) => m.id),
    );

    // A page in the middle holding the 2 MB message.
    const middle = await memory.listMessages({ threadId: "big", perPage: 10, page: 250 });
    expect(middle.messages.map((m) => m.id)).toEqual(all.slice(2500, 2510).map((m) => m.id));
    expect(textOf(middle.messages[0])).toBe(big);

    // By id: the index, then the message's thread.
    let byId: MastraDBMessage[] = [];
    expect(
      await cost(calls, async () => {
        byId = (await memory.listMessagesById({ messageIds: ["msg-02500"] })).messages;
      }),
    ).toEqual(["get", "get"]);
    expect(textOf(byId[0])).toHaveLength(big.length);

    // One more message: index lookup and write, the message, then the thread's meta (read, conditional write).
    expect(
      await cost(calls, () => memory.saveMessages({ messages: [message(5000, "one more", at)] })),
    ).toEqual(["get", "write", "write", "get", "write"]);
    // Saving it again (edited, as Mastra does while a reply streams): no index write, the row read to find it.
    const edited = { ...message(5000, "edited", at) };
    expect(await cost(calls, () => memory.saveMessages({ messages: [edited] }))).toEqual([
      "get",
      "get",
      "write",
      "get",
      "write",
    ]);
    expect(await cost(calls, () => memory.getThreadById({ threadId: "big" }))).toEqual(["get"]);

    await memory.deleteThread({ threadId: "big" });
    expect(await memory.getThreadById({ threadId: "big" })).toBeNull();
    expect((await memory.listMessages({ threadId: "big", perPage: false })).messages).toEqual([]);
    expect((await memory.listMessagesById({ messageIds: ["msg-00000", "msg-02500"] })).messages).toEqual([]);
  }, 600_000);
});
