import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import {
  attachCostCounter,
  dropTables,
  localClientConfig,
  uniqueTableNames,
} from "@agent-state/dynamodb/testing";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type Checkpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { expect, inject, it } from "vitest";
import { AgentStateSaver } from "../src/index.js";

function checkpointAt(step: number): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: { messages: [`message ${step}`], step, context: "c".repeat(4096) },
    channel_versions: { messages: step + 1, step: step + 1, context: 1 },
    versions_seen: {},
  };
}

it("on DynamoDB a super-step is 1 + 1 PutItems and getTuple of the latest 1 Query", async () => {
  const low = new DynamoDBClient(localClientConfig(inject("dynamoEndpoint")));
  const counter = attachCostCounter(low);
  const tables = await createTables(low, uniqueTableNames("lg-req"));
  const store = new DynamoStateStore({ client: DynamoDBDocument.from(low), tables });
  try {
    const saver = new AgentStateSaver(store);
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const steps = [];
    for (let step = 0; step < 4; step++) {
      const versions =
        step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
      const putWrites = await counter.measure(() =>
        step === 0
          ? Promise.resolve()
          : saver.putWrites(config, [["messages", [`reply ${step}`]]], `task-${step}`),
      );
      const put = await counter.measure(async () => {
        config = await saver.put(config, checkpointAt(step), { source: "loop", step, parents: {} }, versions);
      });
      const get = await counter.measure(() =>
        saver.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } }),
      );
      steps.push({ putWrites: putWrites.byOperation, put: put.byOperation, get: get.byOperation });
    }
    // The first put also writes the namespace's entry and the thread's index entry; later ones only the head.
    expect(steps[0]?.put).toEqual({ PutItem: 1, UpdateItem: 2 });
    for (const s of steps.slice(1)) {
      expect(s).toEqual({
        putWrites: { PutItem: 1 },
        put: { PutItem: 1 },
        get: { Query: 1 },
      });
    }
  } finally {
    await store.close();
    await dropTables(low, tables);
    low.destroy();
  }
});
