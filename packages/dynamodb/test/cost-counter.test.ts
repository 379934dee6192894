import { attachCostCounter, localClientConfig } from "@agent-state/dynamodb/testing";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createLocalStore, type LocalStore } from "./local.js";

describe("attachCostCounter corrects DynamoDB Local to DynamoDB's billing", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("bills a transaction 2 × Σ per-item units (Local reports two equal 1.1 KB puts as 4, DynamoDB bills 8)", async () => {
    const doc = DynamoDBDocument.from(local.low);
    const item = (sk: string) => ({ pk: "p", sk, body: "x".repeat(1_100) });
    const cost = await local.counter.measure(() =>
      doc.transactWrite({
        TransactItems: [
          { Put: { TableName: local.tables.toolCache, Item: item("a") } },
          { Put: { TableName: local.tables.toolCache, Item: item("b") } },
        ],
      }),
    );
    expect(cost).toEqual({
      requests: 1,
      byOperation: { TransactWriteItems: 1 },
      readUnits: 0,
      writeUnits: 8,
    });
    const update = await local.counter.measure(() =>
      doc.transactWrite({
        TransactItems: [
          {
            Update: {
              TableName: local.tables.toolCache,
              Key: { pk: "p", sk: "a" },
              UpdateExpression: "SET n = :n",
              ExpressionAttributeValues: { ":n": 1 },
            },
          },
        ],
      }),
    );
    // The updated item is still 1.1 KB: 2 units, twice; the counter's own read is not counted.
    expect(update).toEqual({
      requests: 1,
      byOperation: { TransactWriteItems: 1 },
      readUnits: 0,
      writeUnits: 4,
    });
  });

  it("bills a failed conditional write 1 WCU (Local reports nothing)", async () => {
    const doc = DynamoDBDocument.from(local.low);
    const cost = await local.counter.measure(() =>
      doc
        .put({
          TableName: local.tables.toolCache,
          Item: { pk: "p", sk: "q" },
          ConditionExpression: "attribute_exists(pk)",
        })
        .catch(() => undefined),
    );
    expect(cost).toEqual({ requests: 1, byOperation: { PutItem: 1 }, readUnits: 0, writeUnits: 1 });
  });

  it("onlyWhileMeasuring: outside measure a call goes out as it is (no capacity asked, no lookup after a transaction)", async () => {
    const client = new DynamoDBClient(localClientConfig(inject("dynamoEndpoint")));
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string };
        sent.push(
          `${(context as { commandName: string }).commandName} ${input.ReturnConsumedCapacity ?? "-"}`,
        );
        return next(args);
      },
      { step: "build", name: "sentLog" },
    );
    const counter = attachCostCounter(client, { onlyWhileMeasuring: true });
    const doc = DynamoDBDocument.from(client);
    const update = () =>
      doc.transactWrite({
        TransactItems: [
          {
            Update: {
              TableName: local.tables.toolCache,
              Key: { pk: "p", sk: "u" },
              UpdateExpression: "SET n = :n",
              ExpressionAttributeValues: { ":n": 1 },
            },
          },
        ],
      });
    try {
      await update();
      expect(sent).toEqual(["TransactWriteItemsCommand -"]);
      expect(counter.snapshot().requests).toBe(0);
      sent.length = 0;
      const cost = await counter.measure(update);
      expect(cost).toMatchObject({ requests: 1, writeUnits: 2 });
      // The counter's own lookup of the updated item (uncounted) follows the transaction.
      expect(sent).toEqual(["TransactWriteItemsCommand TOTAL", "GetItemCommand -"]);
    } finally {
      client.destroy();
    }
  });
});
