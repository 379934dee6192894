import { type DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";

/** The operations DynamoDB Local acknowledges before their COMMIT has run. */
const TRANSACTION_COMMANDS = new Set(["TransactWriteItemsCommand", "ExecuteTransactionCommand"]);
const MIDDLEWARE_NAME = "agentStateAwaitLocalCommit";

/**
 * Makes every transaction `client` sends to DynamoDB Local durable by the time it is acknowledged.
 *
 * DynamoDB Local (checked on the 2026-01-16 build) answers TransactWriteItems and ExecuteTransaction before their
 * SQLite COMMIT has run: it puts the COMMIT on the queue of its single database thread and replies at once. A
 * process killed in that window (SIGKILL, the OOM killer) comes back without a transaction it acknowledged. Every
 * other write commits before it answers.
 *
 * After each successful transaction this sends one `ListTables` (Limit 1) with the same credentials and region: a
 * read served by the same database thread, which runs its jobs in order, so it answers only after that COMMIT.
 * The transaction's promise resolves after it. A failed barrier fails the call with the barrier's error, and the
 * transaction's outcome is then unknown to the caller, as after any lost reply.
 *
 * Costs one extra round trip per transaction. For DynamoDB Local only: DynamoDB itself is durable when it
 * answers. Idempotent per client. Add it before building a document client on top.
 */
export function awaitLocalCommits(client: DynamoDBClient): DynamoDBClient {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(MIDDLEWARE_NAME))) return client;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== undefined && TRANSACTION_COMMANDS.has(context.commandName)) {
        await client.send(new ListTablesCommand({ Limit: 1 }));
      }
      return result;
    },
    { step: "initialize", name: MIDDLEWARE_NAME, priority: "high" },
  );
  return client;
}
