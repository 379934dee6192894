import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ResolvedTableNames, resolveTableNames, type TableNames, USER_INDEX } from "./schema.js";

/** The TTL attribute on every table (epoch seconds). */
export const TTL_ATTRIBUTE = "ttl";

type ControlClient = Pick<DynamoDBClient, "send"> | Pick<DynamoDBDocumentClient, "send">;

/**
 * CreateTable inputs for the tables (on-demand billing; the sessions table has the `byUser` GSI): sessions,
 * tool cache, preferences, and a records table when `records` names one other than the sessions table.
 */
export function tableDefinitions(tables?: Partial<TableNames>): CreateTableCommandInput[] {
  const names = resolveTableNames(tables);
  const keyed = (TableName: string): CreateTableCommandInput => ({
    TableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
  });
  const sessions = keyed(names.sessions);
  sessions.AttributeDefinitions?.push(
    { AttributeName: "userId", AttributeType: "S" },
    { AttributeName: "sessionId", AttributeType: "S" },
  );
  sessions.GlobalSecondaryIndexes = [
    {
      IndexName: USER_INDEX,
      KeySchema: [
        { AttributeName: "userId", KeyType: "HASH" },
        { AttributeName: "sessionId", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "KEYS_ONLY" },
    },
  ];
  const definitions = [sessions, keyed(names.toolCache), keyed(names.preferences)];
  if (names.records !== names.sessions) definitions.push(keyed(names.records));
  return definitions;
}

/**
 * Creates the tables (see `tableDefinitions`) if they do not exist, waits until they (and the GSI) are ACTIVE, and enables TTL
 * on `ttl`. Idempotent: safe to run at every start and from several processes at once.
 */
export async function createTables(
  client: ControlClient,
  tables?: Partial<TableNames>,
  options: { timeoutMs?: number } = {},
): Promise<ResolvedTableNames> {
  const send = (client.send as (command: unknown) => Promise<unknown>).bind(client);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  await Promise.all(
    tableDefinitions(tables).map(async (definition) => {
      const name = definition.TableName ?? "";
      if ((await describeStatus(send, name)) === null) {
        try {
          await send(new CreateTableCommand(definition));
        } catch (error) {
          if ((error as { name?: string }).name !== "ResourceInUseException") throw error;
        }
      }
      await waitUntilActive(send, name, deadline);
      await enableTtl(send, name);
    }),
  );
  return resolveTableNames(tables);
}

type Send = (command: unknown) => Promise<unknown>;

interface TableDescription {
  TableStatus?: string;
  GlobalSecondaryIndexes?: Array<{ IndexStatus?: string }>;
}

/** "ACTIVE" only when the table and all its indexes are; null when the table does not exist. */
async function describeStatus(send: Send, name: string): Promise<string | null> {
  try {
    const output = (await send(new DescribeTableCommand({ TableName: name }))) as {
      Table?: TableDescription;
    };
    const table = output.Table ?? {};
    const indexesActive = (table.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === "ACTIVE",
    );
    return table.TableStatus === "ACTIVE" && !indexesActive
      ? "INDEX_CREATING"
      : (table.TableStatus ?? "UNKNOWN");
  } catch (error) {
    if ((error as { name?: string }).name === "ResourceNotFoundException") return null;
    throw error;
  }
}

async function waitUntilActive(send: Send, name: string, deadline: number): Promise<void> {
  for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    if ((await describeStatus(send, name)) === "ACTIVE") return;
    if (Date.now() > deadline) throw new Error(`table ${name} did not become ACTIVE in time`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

async function enableTtl(send: Send, name: string): Promise<void> {
  const output = (await send(new DescribeTimeToLiveCommand({ TableName: name }))) as {
    TimeToLiveDescription?: { TimeToLiveStatus?: string; AttributeName?: string };
  };
  const status = output.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === "ENABLED" || status === "ENABLING") return;
  try {
    await send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
      }),
    );
  } catch (error) {
    // A concurrent caller enabled it first.
    if (!/already enabled/i.test(String((error as Error).message))) throw error;
  }
}
