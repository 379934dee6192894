import { randomBytes } from "node:crypto";
import { localKeyring, withEncryption } from "@agent-state/encryption";
import { type BackendHandle, describeEachBackend } from "@agent-state/test-backends";
import {
  type AgentInputItem,
  MemorySession,
  type Session,
  type SessionHistoryTransactionArgs,
} from "@openai/agents-core";
import { expect, it } from "vitest";
import { AgentStateSession } from "../src/index.js";
import { prng, SAMPLE_ITEMS } from "./items.js";

type Op =
  | { op: "addItems"; items: AgentInputItem[] }
  | { op: "getItems"; limit?: number }
  | { op: "popItem" }
  | { op: "clearSession" }
  | { op: "applyHistoryTransaction"; args: SessionHistoryTransactionArgs };

type Outcome = { value: unknown } | { threw: true };

async function apply(
  session: Session & { applyHistoryTransaction?: (a: SessionHistoryTransactionArgs) => unknown },
  op: Op,
): Promise<Outcome> {
  try {
    switch (op.op) {
      case "addItems":
        return { value: await session.addItems(structuredClone(op.items)) };
      case "getItems":
        return { value: await session.getItems(op.limit) };
      case "popItem":
        return { value: await session.popItem() };
      case "clearSession":
        return { value: await session.clearSession() };
      case "applyHistoryTransaction":
        return { value: await session.applyHistoryTransaction?.(structuredClone(op.args)) };
    }
  } catch (e) {
    if (process.env.DEBUG_DIFF) console.error(op, e);
    return { threw: true };
  }
}

function pick(random: () => number, count: number): AgentInputItem[] {
  return Array.from({ length: count }, () => SAMPLE_ITEMS[Math.floor(random() * SAMPLE_ITEMS.length)]!);
}

/** A random operation, knowing the reference history (so suffix replacements are sometimes right). */
function randomOp(random: () => number, history: AgentInputItem[], usedIds: string[]): Op {
  const r = random();
  if (r < 0.3) return { op: "addItems", items: pick(random, Math.floor(random() * 4)) };
  if (r < 0.5) return { op: "getItems", ...(random() < 0.3 ? {} : { limit: Math.floor(random() * 6) - 1 }) };
  if (r < 0.62) return { op: "popItem" };
  if (r < 0.65) return { op: "clearSession" };
  const reuse = usedIds.length > 0 && random() < 0.25;
  const operationId = reuse ? usedIds[Math.floor(random() * usedIds.length)]! : `op-${usedIds.length}`;
  if (!reuse) usedIds.push(operationId);
  if (random() < 0.4) {
    return {
      op: "applyHistoryTransaction",
      args: {
        operationId,
        transaction: { type: "append_items", items: pick(random, Math.floor(random() * 3)) },
      },
    };
  }
  const n = Math.min(history.length, Math.floor(random() * 3));
  const expectedSuffix = random() < 0.8 ? history.slice(history.length - n) : pick(random, 1);
  return {
    op: "applyHistoryTransaction",
    args: {
      operationId,
      transaction: {
        type: "replace_suffix",
        expectedSuffix,
        replacement: pick(random, Math.floor(random() * 3)),
      },
    },
  };
}

// The SDK's MemorySession is the judge: the same operations, in the same order, must give the same results
// (values deep and strictly equal, undefined properties and bytes included; a throw where it throws).
describeEachBackend("AgentStateSession vs MemorySession", differential);

// The same on an encrypted store (@agent-state/encryption over each backend).
const keyring = localKeyring({ keys: { k1: randomBytes(32) }, current: "k1" });
describeEachBackend("AgentStateSession on an encrypted store vs MemorySession", (backend) =>
  differential({
    name: backend.name,
    createStore: async (options) => withEncryption(await backend.createStore(options), { keyring }),
  }),
);

function differential(backend: BackendHandle): void {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`random sequence ${seed}: every operation's result equals MemorySession's`, async () => {
      const store = await backend.createStore();
      const random = prng(seed);
      const reference = new MemorySession();
      const ours = new AgentStateSession({ store });
      const usedIds: string[] = [];
      let compared = 0;
      for (let step = 0; step < 60; step++) {
        const op = randomOp(random, await reference.getItems(), usedIds);
        const expected = await apply(reference, op);
        const actual = await apply(ours, op);
        expect({ step, op: op.op, ...actual }).toStrictEqual({ step, op: op.op, ...expected });
        compared++;
      }
      expect(await ours.getItems()).toStrictEqual(await reference.getItems());
      expect(compared).toBe(60);
    });
  }

  it("every item kind round-trips exactly (bytes, undefined properties, $ keys)", async () => {
    const store = await backend.createStore();
    const ours = new AgentStateSession({ store });
    await ours.addItems(SAMPLE_ITEMS);
    expect(await ours.getItems()).toStrictEqual(SAMPLE_ITEMS);
    const again = new AgentStateSession({ store, sessionId: await ours.getSessionId() });
    expect(await again.getItems(3)).toStrictEqual(SAMPLE_ITEMS.slice(-3));
  });

  it("addItems of 250 items is one atomic append; pop, limit and replace work across packed messages", async () => {
    const store = await backend.createStore();
    const reference = new MemorySession();
    const ours = new AgentStateSession({ store });
    const many = Array.from({ length: 250 }, (_, i): AgentInputItem => ({ role: "user", content: `m${i}` }));
    for (const session of [reference, ours]) await session.addItems(many);
    const sessionId = await ours.getSessionId();
    expect((await store.sessions.get(sessionId))?.messageCount).toBeLessThanOrEqual(98);
    const ops: Op[] = [
      { op: "popItem" },
      { op: "popItem" },
      { op: "getItems", limit: 5 },
      { op: "addItems", items: [{ role: "user", content: "after" }] },
      { op: "popItem" },
      { op: "popItem" },
      { op: "getItems", limit: 4 },
      {
        op: "applyHistoryTransaction",
        args: {
          operationId: "r1",
          transaction: {
            type: "replace_suffix",
            expectedSuffix: many.slice(200, 247),
            replacement: [
              {
                type: "message",
                role: "assistant",
                status: "completed",
                content: [{ type: "output_text", text: "summary" }],
              },
            ],
          },
        },
      },
      { op: "getItems" },
    ];
    for (const op of ops) expect(await apply(ours, op)).toStrictEqual(await apply(reference, op));
    const history = await ours.getItems();
    expect(history).toHaveLength(201); // m0…m199 and the summary: the replacement applied
    expect(history).toStrictEqual(await reference.getItems());
  });

  it("a repeated operationId applies once; another transaction under it throws and changes nothing", async () => {
    const store = await backend.createStore();
    const ours = new AgentStateSession({ store });
    const args: SessionHistoryTransactionArgs = {
      operationId: "once",
      transaction: { type: "append_items", items: [{ role: "user", content: "hi" }] },
    };
    await ours.applyHistoryTransaction(args);
    await ours.applyHistoryTransaction(structuredClone(args));
    await expect(
      ours.applyHistoryTransaction({ operationId: "once", transaction: { type: "append_items", items: [] } }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await ours.getItems()).toStrictEqual([{ role: "user", content: "hi" }]);
  });
}
