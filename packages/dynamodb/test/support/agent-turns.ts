/**
 * Cost of one agent turn on DynamoDB Local, for agent-state's DynamoStateStore and for LangChain's
 * DynamoDBChatMessageHistory storing the same conversation. Used by bench/dynamodb.bench.ts.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createTables, DynamoStateStore } from "../../src/index.js";
import {
  attachCostCounter,
  type CostSnapshot,
  dropTables,
  localClientConfig,
  uniqueTableNames,
} from "../../src/testing/index.js";
import { DynamoChatMessageHistoryPeer } from "./langchain-peer.js";

export const MESSAGE_CHARS = 1_000;
const userText = (turn: number) => `user turn ${turn} `.padEnd(MESSAGE_CHARS, "u");
const assistantText = (turn: number) => `assistant turn ${turn} `.padEnd(MESSAGE_CHARS, "a");

/** What one turn cost, or why it failed. */
export type TurnCost = CostSnapshot | { error: string };

/** A conversation driven turn by turn; `turn(n)` returns what turn n cost. */
export interface Conversation {
  turn(n: number): Promise<TurnCost>;
  close(): Promise<void>;
}

/**
 * agent-state: load the session with its 20 recent messages (1 Query), append the user and assistant
 * messages (1 TransactWriteItems), update the state (1 UpdateItem).
 */
export async function agentStateConversation(endpoint: string): Promise<Conversation> {
  const low = new DynamoDBClient(localClientConfig(endpoint));
  const counter = attachCostCounter(low);
  const tables = uniqueTableNames("bench");
  await createTables(low, tables);
  const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(low), tables });
  const { sessionId } = await store.sessions.create({ userId: "bench-user", state: { turn: 0 } });
  return {
    async turn(n) {
      return measured(counter.measure.bind(counter), async () => {
        const session = await store.sessions.get(sessionId, { recentMessages: 20 });
        await store.sessions.append(sessionId, [
          { role: "user", content: userText(n) },
          { role: "assistant", content: assistantText(n) },
        ]);
        await store.sessions.update(
          sessionId,
          { state: { turn: n, summary: "short" } },
          { expectedVersion: session?.version ?? 1 },
        );
      });
    },
    async close() {
      await store.close();
      await dropTables(low, tables);
      low.destroy();
    },
  };
}

/**
 * LangChain's DynamoDBChatMessageHistory: load the history (1 GetItem of the whole conversation), add the
 * two messages (1 UpdateItem with list_append, rewriting the item). It keeps no agent state.
 */
export async function langChainConversation(endpoint: string): Promise<Conversation> {
  const tableName = `${uniqueTableNames("lc").sessions}-langchain`;
  const peer = await DynamoChatMessageHistoryPeer.create({
    tableName,
    sessionId: "bench-session",
    config: localClientConfig(endpoint),
  });
  const counter = attachCostCounter(peer.client);
  await peer.client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    }),
  );
  return {
    async turn(n) {
      return measured(counter.measure.bind(counter), async () => {
        await peer.getMessages();
        await peer.addTurn(userText(n), assistantText(n));
      });
    },
    async close() {
      await dropTables(peer.client, {
        sessions: tableName,
        toolCache: `${tableName}-x`,
        preferences: `${tableName}-y`,
      });
      peer.client.destroy();
    },
  };
}

async function measured(
  measure: (action: () => Promise<unknown>) => Promise<CostSnapshot>,
  action: () => Promise<void>,
): Promise<TurnCost> {
  let failure: string | undefined;
  const cost = await measure(() =>
    action().catch((error: unknown) => {
      failure = (error as Error).message;
    }),
  );
  return failure === undefined ? cost : { error: failure };
}
