import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTables } from "../src/index.js";
import { dropTables, localClientConfig, uniqueTableNames } from "../src/testing/index.js";

describe("createTables", () => {
  let client: DynamoDBClient;
  const tables = uniqueTableNames("ct");
  beforeAll(() => {
    client = new DynamoDBClient(localClientConfig(inject("dynamoEndpoint")));
  });
  afterAll(async () => {
    await dropTables(client, tables);
    client.destroy();
  });

  it("is idempotent (twice in a row, and twice at once), leaves tables ACTIVE with TTL and the byUser index", async () => {
    const resolved = { ...tables, records: tables.sessions };
    expect(await createTables(client, tables)).toEqual(resolved);
    expect(await createTables(client, tables)).toEqual(resolved);
    await Promise.all([createTables(client, tables), createTables(client, tables)]);
    for (const TableName of Object.values(tables)) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName }));
      expect(Table?.TableStatus).toBe("ACTIVE");
      expect(Table?.BillingModeSummary?.BillingMode ?? "PAY_PER_REQUEST").toBe("PAY_PER_REQUEST");
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: "ttl" });
    }
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.sessions }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus])).toEqual([
      ["byUser", "ACTIVE"],
    ]);
  });

  it("creates a records table of its own when `records` names one: same keys and TTL, no index", async () => {
    const named = uniqueTableNames("ctr", { records: true });
    try {
      expect(await createTables(client, named)).toEqual(named);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: named.records }));
      expect(Table?.TableStatus).toBe("ACTIVE");
      expect(Table?.KeySchema).toEqual([
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ]);
      expect(Table?.GlobalSecondaryIndexes).toBeUndefined();
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: named.records }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: "ttl" });
    } finally {
      await dropTables(client, named);
    }
  });
});
