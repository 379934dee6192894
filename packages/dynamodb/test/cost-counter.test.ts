import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
});
