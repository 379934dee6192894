import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { DaxDouble } from "./support/dax-double.js";
import { createPkSkTable, DynamoDBDocument, dropTable, localClient } from "./support/dynamo.js";

// The double must behave like DAX, or the decorator's tests prove nothing: these pin its semantics down.
describe("DaxDouble (a model of DAX in front of DynamoDB Local)", () => {
  const document = DynamoDBDocument.from(localClient(inject("dynamoEndpoint")));
  let table = "";
  let now = 1_000_000;
  const clock = () => now;
  const key = (pk: string, sk = "meta") => ({ pk, sk });

  beforeAll(async () => {
    table = await createPkSkTable(document);
  });
  afterAll(async () => {
    await dropTable(document, table);
    document.destroy();
  });

  function newDouble(): DaxDouble {
    return new DaxDouble(document, { itemTtlMs: 60_000, queryTtlMs: 30_000, now: clock });
  }

  it("serves a cached item until its TTL, even after a write that went to DynamoDB directly", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("item-ttl"), v: 1 } });
    expect((await dax.get({ TableName: table, Key: key("item-ttl") })).Item).toMatchObject({ v: 1 });
    await document.put({ TableName: table, Item: { ...key("item-ttl"), v: 2 } });
    expect((await dax.get({ TableName: table, Key: key("item-ttl") })).Item).toMatchObject({ v: 1 });
    expect(dax.stats).toMatchObject({ itemHits: 1, itemMisses: 1 });
    now += 60_000;
    expect((await dax.get({ TableName: table, Key: key("item-ttl") })).Item).toMatchObject({ v: 2 });
    expect(dax.stats.itemMisses).toBe(2);
  });

  it("caches an absent item (negative caching)", async () => {
    const dax = newDouble();
    expect((await dax.get({ TableName: table, Key: key("negative") })).Item).toBeUndefined();
    await document.put({ TableName: table, Item: { ...key("negative"), v: 1 } });
    expect((await dax.get({ TableName: table, Key: key("negative") })).Item).toBeUndefined();
    expect(dax.stats).toMatchObject({ itemHits: 1, itemMisses: 1, dynamoRequests: 1 });
  });

  it("passes ConsistentRead straight to DynamoDB without touching its caches", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("consistent"), v: 1 } });
    await dax.get({ TableName: table, Key: key("consistent") });
    await document.put({ TableName: table, Item: { ...key("consistent"), v: 2 } });
    const strong = await dax.get({ TableName: table, Key: key("consistent"), ConsistentRead: true });
    expect(strong.Item).toMatchObject({ v: 2 });
    expect((await dax.get({ TableName: table, Key: key("consistent") })).Item).toMatchObject({ v: 1 });
    expect(dax.stats.passThroughs).toBe(1);
  });

  it("updates its item cache on writes sent through it, but never its query cache", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("through", "a"), v: 1 } });
    const query = {
      TableName: table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "through" },
    };
    expect((await dax.query(query)).Items).toHaveLength(1);
    await dax.get({ TableName: table, Key: key("through", "a") });

    await dax.put({ TableName: table, Item: { ...key("through", "b"), v: 1 } });
    await dax.update({
      TableName: table,
      Key: key("through", "a"),
      UpdateExpression: "SET v = :v",
      ExpressionAttributeValues: { ":v": 5 },
    });
    expect((await dax.get({ TableName: table, Key: key("through", "a") })).Item).toMatchObject({ v: 5 });
    expect((await dax.get({ TableName: table, Key: key("through", "b") })).Item).toMatchObject({ v: 1 });
    // The query cache still holds the page read before both writes.
    const stale = await dax.query(query);
    expect(stale.Items).toEqual([{ ...key("through", "a"), v: 1 }]);
    expect(dax.stats.queryHits).toBe(1);

    await dax.delete({ TableName: table, Key: key("through", "b") });
    expect((await dax.get({ TableName: table, Key: key("through", "b") })).Item).toBeUndefined();
    now += 30_000;
    expect((await dax.query(query)).Items).toEqual([{ ...key("through", "a"), v: 5 }]);
  });

  it("drops the keys of transactions and batch writes sent through it from its item cache, not its query cache", async () => {
    const dax = newDouble();
    const query = {
      TableName: table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "txn" },
    };
    await document.put({ TableName: table, Item: { ...key("txn", "a"), v: 1 } });
    await document.put({ TableName: table, Item: { ...key("batch"), v: 1 } });
    await dax.get({ TableName: table, Key: key("txn", "a") });
    await dax.get({ TableName: table, Key: key("batch") });
    expect((await dax.query(query)).Items).toHaveLength(1);
    await dax.transactWrite({
      TransactItems: [
        {
          Update: {
            TableName: table,
            Key: key("txn", "a"),
            UpdateExpression: "SET v = :v",
            ExpressionAttributeValues: { ":v": 2 },
          },
        },
        { Put: { TableName: table, Item: { ...key("txn", "b"), v: 1 } } },
      ],
    });
    await dax.batchWrite({
      RequestItems: { [table]: [{ PutRequest: { Item: { ...key("batch"), v: 2 } } }] },
    });
    expect((await dax.get({ TableName: table, Key: key("txn", "a") })).Item).toMatchObject({ v: 2 });
    expect((await dax.get({ TableName: table, Key: key("batch") })).Item).toMatchObject({ v: 2 });
    expect((await dax.query(query)).Items).toHaveLength(1); // the query cache still holds the old page
    expect(dax.writes).toBe(2);
  });

  it("reports DynamoDB's write errors in the DAX client's shape, without the ALL_OLD item of single writes", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("shape"), v: 1 } });
    const failed = await dax
      .put({
        TableName: table,
        Item: { ...key("shape"), v: 2 },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: "Error", code: "ConditionalCheckFailedException" });
    expect(failed).not.toHaveProperty("Item");
    const cancelled = await dax
      .transactWrite({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { ...key("shape"), v: 3 },
              ConditionExpression: "attribute_not_exists(pk)",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
        ],
      })
      .catch((error: unknown) => error);
    expect(cancelled).toMatchObject({
      code: "TransactionCanceledException",
      cancellationReasons: [{ Code: "ConditionalCheckFailed", Item: expect.objectContaining({}) }],
    });
  });

  it("refuses connections when told to, and applies a write but never answers with hangAfterWrite", async () => {
    const dax = newDouble();
    dax.refuse = true;
    await expect(dax.get({ TableName: table, Key: key("refused") })).rejects.toMatchObject({
      code: "ConnectionException",
      message: expect.stringContaining("ECONNREFUSED"),
    });
    dax.refuse = false;
    dax.hangAfterWrite = true;
    const pending = dax.put({ TableName: table, Item: { ...key("lost-reply"), v: 1 } });
    const settled = pending.then(
      () => "answered",
      () => "shut down",
    );
    await expect
      .poll(async () => (await document.get({ TableName: table, Key: key("lost-reply") })).Item)
      .toMatchObject({ v: 1 });
    dax.shutdown();
    expect(await settled).toBe("shut down");
  });

  it("passes TransactGetItems straight to DynamoDB: no cache read, none filled", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("tx-get"), v: 1 } });
    await dax.get({ TableName: table, Key: key("tx-get") });
    await document.put({ TableName: table, Item: { ...key("tx-get"), v: 2 } });
    const answer = await dax.transactGet({
      TransactItems: [{ Get: { TableName: table, Key: key("tx-get") } }],
    });
    expect(answer.Responses?.[0]?.Item).toMatchObject({ v: 2 });
    // The item cache still holds what the eventually consistent get cached before.
    expect((await dax.get({ TableName: table, Key: key("tx-get") })).Item).toMatchObject({ v: 1 });
    expect(dax.stats).toMatchObject({ passThroughs: 1, itemHits: 1, itemMisses: 1 });
  });

  it("loses the reply of only the write operations hangAfterWriteOf names", async () => {
    const dax = newDouble();
    dax.hangAfterWriteOf = new Set(["put"]);
    const lost = dax.put({ TableName: table, Item: { ...key("lost-put"), v: 1 } });
    await dax.batchWrite({
      RequestItems: { [table]: [{ PutRequest: { Item: { ...key("lost-put", "chunk"), v: 2 } } }] },
    });
    await vi.waitFor(() => expect(dax.repliesLost).toBe(1)); // the put was applied, its reply kept
    expect(
      (await document.get({ TableName: table, Key: key("lost-put"), ConsistentRead: true })).Item,
    ).toMatchObject({ v: 1 });
    dax.shutdown();
    await expect(lost).rejects.toThrow("shut down");
    expect(dax.writes).toBe(2);
  });

  it("caches an empty query page too, keyed by every query parameter", async () => {
    const dax = newDouble();
    const query = (limit: number) => ({
      TableName: table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "empty-then-filled" },
      Limit: limit,
    });
    expect((await dax.query(query(10))).Items).toEqual([]);
    await document.put({ TableName: table, Item: { ...key("empty-then-filled"), v: 1 } });
    expect((await dax.query(query(10))).Items).toEqual([]);
    expect((await dax.query(query(5))).Items).toHaveLength(1);
    expect(dax.stats).toMatchObject({ queryHits: 1, queryMisses: 2 });
  });

  it("answers batchGet from its item cache and caches the absent keys", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("batch-1"), v: 1 } });
    await dax.get({ TableName: table, Key: key("batch-1") });
    const request = { RequestItems: { [table]: { Keys: [key("batch-1"), key("batch-2")] } } };
    const first = await dax.batchGet(request);
    expect(first.Responses?.[table]).toEqual([{ ...key("batch-1"), v: 1 }]);
    await document.put({ TableName: table, Item: { ...key("batch-2"), v: 2 } });
    const second = await dax.batchGet(request);
    expect(second.Responses?.[table]).toEqual([{ ...key("batch-1"), v: 1 }]);
    expect(dax.stats).toMatchObject({ itemHits: 3, itemMisses: 2 });
  });

  it("hands out copies, so a caller mutating an answer cannot change the cache", async () => {
    const dax = newDouble();
    await document.put({ TableName: table, Item: { ...key("copies"), nested: { v: 1 } } });
    const first = await dax.get({ TableName: table, Key: key("copies") });
    (first.Item as { nested: { v: number } }).nested.v = 99;
    expect((await dax.get({ TableName: table, Key: key("copies") })).Item).toMatchObject({
      nested: { v: 1 },
    });
  });

  it("fails like an unreachable cluster when down, and hangs until shutdown when told to", async () => {
    const dax = newDouble();
    dax.down = true;
    await expect(dax.get({ TableName: table, Key: key("down") })).rejects.toThrow("No endpoints available");
    dax.down = false;
    dax.hang = true;
    const pending = dax.get({ TableName: table, Key: key("down") });
    dax.shutdown();
    await expect(pending).rejects.toThrow("shut down");
  });
});
