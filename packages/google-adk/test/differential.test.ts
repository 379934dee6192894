import { describeEachBackend, prng } from "@agent-state/test-backends";
import { InMemorySessionService, type Session } from "@google/adk";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { AgentStateSessionService } from "../src/index.js";
import { apply, normalise, OpGenerator } from "./ops.js";

// ADK's InMemorySessionService is the judge: the same calls, in the same order, give the same answers, deep
// and strictly equal (undefined properties, the event signature symbol and the caller's Session object after
// an append included). Normalised only: object prototypes (`normalise`), and listings without `order`, which
// ADK leaves unspecified, are compared sorted. Both services read the same clock (Date is faked, so
// createSession's lastUpdateTime agrees), and session ids are given, never generated.
describeEachBackend("AgentStateSessionService vs InMemorySessionService", (backend) => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random sequence ${seed}: every call's answer equals InMemorySessionService's`, async () => {
      const store = await backend.createStore();
      const random = prng(seed);
      const reference = new InMemorySessionService();
      const ours = new AgentStateSessionService(store);
      const referenceSessions = new Map<string, Session>();
      const ourSessions = new Map<string, Session>();
      const ops = new OpGenerator(random, () => Date.now());
      const steps = 80;
      let compared = 0;
      for (let step = 0; step < steps; step++) {
        vi.advanceTimersByTime(Math.floor(random() * 3)); // 0 ms sometimes: ties in time
        const op = ops.next(step);
        const expected = await apply(reference, referenceSessions, op);
        const actual = await apply(ours, ourSessions, op);
        expect(normalise({ step, op: op.op, ...actual })).toStrictEqual(
          normalise({ step, op: op.op, ...expected }),
        );
        compared++;
      }
      expect(compared).toBe(steps);
      // And every session, read back whole, agrees at the end.
      const all = await reference.listSessions({ appName: "app" });
      for (const { id, userId } of all.sessions) {
        const key = { appName: "app", userId, sessionId: id };
        expect(normalise(await ours.getSession(key))).toStrictEqual(
          normalise(await reference.getSession(key)),
        );
      }
    });
  }
});
