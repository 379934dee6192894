import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import { describeEachBackend } from "@agent-state/test-backends";
import { Agent } from "@mastra/core/agent";
import { Mastra } from "@mastra/core/mastra";
import { InMemoryStore, MastraCompositeStore, type ScoresStorage } from "@mastra/core/storage";
import { Memory } from "@mastra/memory";
import { convertArrayToReadableStream, MockLanguageModelV3 } from "ai/test";
import { expect, it } from "vitest";
import { AgentStateMastraStore } from "../src/index.js";

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model (no network) that answers `reply(n)` to its n-th call and records every prompt it was sent. */
function mockModel(reply: (call: number) => string) {
  const prompts: string[] = [];
  const model = new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      prompts.push(JSON.stringify(prompt));
      return {
        content: [{ type: "text", text: reply(prompts.length) }],
        finishReason: { unified: "stop", raw: "stop" },
        usage,
        warnings: [],
      };
    },
    doStream: async ({ prompt }) => {
      prompts.push(JSON.stringify(prompt));
      const text = reply(prompts.length);
      return {
        stream: convertArrayToReadableStream([
          { type: "stream-start", warnings: [] },
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: text },
          { type: "text-end", id: "t" },
          { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage },
        ]),
      };
    },
  });
  return { model, prompts };
}

/** What one process builds: storage, Memory, Agent and Mastra, all over `store`. */
function boot(store: StateStore, model: MockLanguageModelV3) {
  const storage = new AgentStateMastraStore({ store });
  const memory = new Memory({ storage, options: { lastMessages: 20 } });
  // ai/test's mock implements LanguageModelV3; its declared types come from another copy of @ai-sdk/provider.
  const agentModel = model as unknown as ConstructorParameters<typeof Agent>[0]["model"];
  const agent = new Agent({
    id: "helper",
    name: "helper",
    instructions: "Be brief.",
    model: agentModel,
    memory,
  });
  const mastra = new Mastra({ agents: { helper: agent }, storage, logger: false });
  return { agent: mastra.getAgent("helper"), memory };
}

describeEachBackend("a Mastra Agent on AgentStateMastraStore", (backend) => {
  it("keeps a thread across two runs and a restart (a new Mastra, Memory and Agent over the same store)", async () => {
    const store = await backend.createStore();
    const thread = { memory: { thread: "thread-1", resource: "user-ada" } };
    const { model, prompts } = mockModel((n) => `reply ${n}`);

    const first = boot(store, model);
    expect((await first.agent.generate("My name is Ada.", thread)).text).toBe("reply 1");
    expect((await first.agent.generate("What is my name?", thread)).text).toBe("reply 2");
    // The second run's prompt carried the first exchange, read back from the store.
    expect(prompts[1]).toContain("My name is Ada.");
    expect(prompts[1]).toContain("reply 1");

    const restarted = boot(store, model);
    expect((await restarted.agent.generate("And again?", thread)).text).toBe("reply 3");
    for (const earlier of ["My name is Ada.", "reply 1", "What is my name?", "reply 2"]) {
      expect(prompts[2]).toContain(earlier);
    }
    const { messages } = await restarted.memory.recall({ threadId: "thread-1", resourceId: "user-ada" });
    expect(messages.map((m) => `${m.role}:${JSON.stringify(m.content.parts)}`)).toHaveLength(6);
    expect(messages.map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    const threads = await restarted.memory.listThreads({ filter: { resourceId: "user-ada" } });
    expect(threads.threads.map((t) => t.id)).toEqual(["thread-1"]);
  });

  it("keeps working memory (resource and thread scope) across a restart", async () => {
    const store = await backend.createStore();
    const { model } = mockModel(() => "ok");
    const resourceScoped = (s: StateStore) =>
      new Memory({
        storage: new AgentStateMastraStore({ store: s }),
        options: { workingMemory: { enabled: true, scope: "resource" } },
      });
    const threadScoped = (s: StateStore) =>
      new Memory({
        storage: new AgentStateMastraStore({ store: s }),
        options: { workingMemory: { enabled: true, scope: "thread" } },
      });
    const agent = boot(store, model);
    await agent.agent.generate("hi", { memory: { thread: "t-wm", resource: "user-wm" } });

    await resourceScoped(store).updateWorkingMemory({
      threadId: "t-wm",
      resourceId: "user-wm",
      workingMemory: "# User\n- name: Ada",
    });
    await threadScoped(store).updateWorkingMemory({
      threadId: "t-wm",
      resourceId: "user-wm",
      workingMemory: "# Thread\n- topic: miles",
    });
    expect(await resourceScoped(store).getWorkingMemory({ threadId: "t-wm", resourceId: "user-wm" })).toBe(
      "# User\n- name: Ada",
    );
    expect(await threadScoped(store).getWorkingMemory({ threadId: "t-wm", resourceId: "user-wm" })).toBe(
      "# Thread\n- topic: miles",
    );
  });
});

it("composes with another Mastra store: memory and workflows from here, the rest from the other", async () => {
  const storage = new AgentStateMastraStore({ store: new MemoryStateStore() });
  const other = new InMemoryStore();
  const composite = new MastraCompositeStore({
    id: "app",
    default: storage,
    domains: { scores: other.stores.scores as ScoresStorage },
  });
  expect(await composite.getStore("memory")).toBe(storage.stores.memory);
  expect(await composite.getStore("workflows")).toBe(storage.stores.workflows);
  expect(await composite.getStore("scores")).toBe(other.stores.scores);
  expect(await storage.getStore("observability")).toBeUndefined();
  expect(await composite.getStore("observability")).toBeUndefined();
});
