import { ManualClock } from "@agent-state/core/testing";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type DaxReadClient, withDax } from "../src/index.js";
import { DaxDouble } from "./support/dax-double.js";
import { localClient, NO_TIMEOUT_MS } from "./support/dynamo.js";
import { freshDynamoStore, sameTablesStore } from "./support/stores.js";

/**
 * A DAX client whose answers are held back until the test lets them through. `hold()` returns a promise
 * that settles once an answer has been read and is waiting at the gate.
 */
function gated(inner: DaxReadClient): DaxReadClient & { hold(): Promise<void>; release(): void } {
  let gate: Promise<void> | null = null;
  let open = () => {};
  let arrived = () => {};
  const pass = async <T>(answer: Promise<T>): Promise<T> => {
    const value = await answer;
    if (gate) {
      arrived();
      await gate;
    }
    return value;
  };
  return {
    get: (input) => pass(inner.get(input)),
    query: (input) => pass(inner.query(input)),
    batchGet: (input) => pass(inner.batchGet(input)),
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return new Promise((resolve) => {
        arrived = resolve;
      });
    },
    release() {
      gate = null;
      open();
    },
  };
}

describe("withDax: the L1 never keeps an answer older than this process's writes", () => {
  const clock = new ManualClock();
  const client = localClient(inject("dynamoEndpoint"));
  afterAll(() => client.destroy());

  it("a read that started before our write and answers after it is returned but not cached", async () => {
    const { store: writer, tables, drop } = await freshDynamoStore(client, clock.now);
    const { sessionId } = await writer.sessions.create({ state: { v: 1 } });
    const dax = gated(new DaxDouble(DynamoDBDocument.from(client)));
    const store = withDax(sameTablesStore(client, tables, clock.now), {
      client: dax,
      timeoutMs: NO_TIMEOUT_MS,
    });
    try {
      const answerRead = dax.hold();
      const slowRead = store.sessions.get(sessionId); // through DAX: this process has not written it yet
      await answerRead; // DAX has answered v1 before the write below, but the answer is not delivered yet
      await store.sessions.update(sessionId, { state: { v: 2 } });
      dax.release();
      expect((await slowRead)?.state).toEqual({ v: 1 });

      const next = await store.sessions.get(sessionId);
      expect(next?.state).toEqual({ v: 2 });
      expect(store.daxStats()).toMatchObject({ l1Hits: 0, ownWriteBypasses: 1 });
      expect((await store.sessions.get(sessionId))?.state).toEqual({ v: 2 });
      expect(store.daxStats().l1Hits).toBe(1);
    } finally {
      await store.close();
      await drop();
    }
  });
});
