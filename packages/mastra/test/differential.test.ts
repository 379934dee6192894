import { describeEachBackend, prng } from "@agent-state/test-backends";
import { InMemoryStore, type MemoryStorage, type WorkflowsStorage } from "@mastra/core/storage";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { AgentStateMastraStore } from "../src/index.js";
import { apply, opGenerator } from "./ops.js";

const STEPS = 200;

async function domains(store: { getStore: InMemoryStore["getStore"] }) {
  return {
    memory: (await store.getStore("memory")) as MemoryStorage,
    workflows: (await store.getStore("workflows")) as WorkflowsStorage,
  };
}

// Mastra's own InMemoryStore is the judge: the same calls, in the same order, must give the same answers
// (deep and strictly equal: Dates, undefined properties and key sets included; a throw where it throws).
// Only `Date` is faked (no timers), so both stores read the same "now" and equal timestamps are common,
// which is where ordering bugs hide.
describeEachBackend("AgentStateMastraStore vs Mastra's InMemoryStore", (backend) => {
  // copyThread's ids: the reference draws them from crypto.randomUUID, ours from `newId`; both get the same
  // sequence for each call. (The spy answers only while the reference runs: the AWS SDK draws UUIDs too.)
  let uuids = 0;
  let referenceRunning = false;
  const uuid = (): `${string}-${string}-${string}-${string}-${string}` =>
    `00000000-0000-4000-8000-${String(Date.now() % 1e6).padStart(6, "0")}${String(uuids++).padStart(6, "0")}`;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 0, 1) });
    const original = globalThis.crypto.randomUUID.bind(globalThis.crypto);
    vi.spyOn(globalThis.crypto, "randomUUID").mockImplementation(() =>
      referenceRunning ? uuid() : original(),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random sequence ${seed}: every call's answer equals InMemoryStore's`, async () => {
      const reference = await domains(new InMemoryStore());
      const ours = await domains(
        new AgentStateMastraStore({ store: await backend.createStore(), newId: uuid }),
      );
      const random = prng(seed);
      const next = opGenerator(random, () => Date.now());
      let compared = 0;
      let pagesWithMessages = 0;
      for (let step = 0; step < STEPS; step++) {
        if (random() < 0.6) vi.setSystemTime(Date.now() + Math.floor(random() * 3));
        const op = next();
        // Both stores draw the same "random" UUIDs for this call (copyThread's thread and message ids).
        uuids = 0;
        referenceRunning = true;
        const expected = await apply(reference, op);
        referenceRunning = false;
        uuids = 0;
        const actual = await apply(ours, op);
        expect({ step, method: op.method, ...actual }).toStrictEqual({
          step,
          method: op.method,
          ...expected,
        });
        compared++;
        const messages = (expected as { value?: { messages?: unknown[] } }).value?.messages;
        if (op.method === "listMessages" && messages && messages.length > 0) pagesWithMessages++;
      }
      for (const threadId of ["t0", "t1", "t2", "t3", "c0", "c1"]) {
        const all = {
          domain: "memory" as const,
          method: "listMessages",
          args: [{ threadId, perPage: false }],
        };
        expect(await apply(ours, all)).toStrictEqual(await apply(reference, all));
      }
      expect(compared).toBe(STEPS);
      // The sequence really pages through messages (not only empty threads).
      expect(pagesWithMessages).toBeGreaterThanOrEqual(6);
    });
  }
});
