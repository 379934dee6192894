import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awaitLocalCommits, type DynamoDbLocalServer, startDynamoDbLocal } from "../src/index.js";

const TABLE = "commits";

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

/** The operation names (X-Amz-Target) `client` sends, in order. */
function recordTargets(client: DynamoDBClient): string[] {
  const targets: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      const target = request.headers?.["x-amz-target"];
      if (target !== undefined) targets.push(target.replace("DynamoDB_20120810.", ""));
      return next(args);
    },
    { step: "finalizeRequest", name: "recordTargets" },
  );
  return targets;
}

const transactPut = (pk: string) =>
  new TransactWriteItemsCommand({
    TransactItems: [
      {
        Put: {
          TableName: TABLE,
          Item: { pk: { S: pk } },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
    ],
  });

describe("awaitLocalCommits", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ddb-local-commits-"));
  let server: DynamoDbLocalServer;

  beforeAll(async () => {
    server = await startDynamoDbLocal({ dataDir });
    const client = clientFor(server.endpoint);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    client.destroy();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends one ListTables after each acknowledged transaction, and none after other calls or a failed one", async () => {
    const client = awaitLocalCommits(clientFor(server.endpoint));
    expect(awaitLocalCommits(client)).toBe(client); // idempotent: still one barrier
    const targets = recordTargets(client);
    await client.send(transactPut("counted-1"));
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "counted-2" } } }));
    await expect(client.send(transactPut("counted-1"))).rejects.toMatchObject({
      name: "TransactionCanceledException",
    });
    expect(targets).toEqual(["TransactWriteItems", "ListTables", "PutItem", "TransactWriteItems"]);
    client.destroy();
  });

  it("every acknowledged transaction survives a SIGKILL sent the moment it was acknowledged", async () => {
    const acknowledged: string[] = [];
    // Three rounds; in each, four writers race and the JVM is killed synchronously on the 20th acknowledgement.
    for (let round = 0; round < 3; round++) {
      const client = awaitLocalCommits(clientFor(server.endpoint));
      const pid = server.pid;
      let killed = false;
      let next = 0;
      const writer = async () => {
        while (!killed && next < 1_000) {
          const pk = `r${round}-${next++}`;
          try {
            await client.send(transactPut(pk));
          } catch {
            return; // the kill: outcome unknown, not acknowledged
          }
          acknowledged.push(pk);
          if (!killed && acknowledged.length >= (round + 1) * 20) {
            killed = true;
            process.kill(pid, "SIGKILL");
          }
        }
      };
      await Promise.all([writer(), writer(), writer(), writer()]);
      expect(killed).toBe(true);
      await server.exited;
      client.destroy();
      server = await startDynamoDbLocal({ dataDir, port: server.port, startTimeoutMs: 120_000 });
    }

    const reader = clientFor(server.endpoint);
    const found = new Set<string>();
    for (let i = 0; i < acknowledged.length; i += 100) {
      const keys = acknowledged.slice(i, i + 100).map((pk) => ({ pk: { S: pk } }));
      let pending: typeof keys | undefined = keys;
      while (pending !== undefined && pending.length > 0) {
        const output = await reader.send(
          new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of output.Responses?.[TABLE] ?? []) found.add(String(item.pk?.S));
        pending = output.UnprocessedKeys?.[TABLE]?.Keys as typeof keys | undefined;
      }
    }
    reader.destroy();
    expect(acknowledged.filter((pk) => !found.has(pk))).toEqual([]);
  }, 300_000);
});
