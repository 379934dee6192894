/**
 * Requests and capacity units per agent turn (load the session with 20 recent messages, append a user and an
 * assistant message of 1,000 characters each, update the state) at turns 1, 50 and 500, for agent-state's
 * DynamoStateStore and for LangChain's DynamoDBChatMessageHistory storing the same conversation, on one
 * DynamoDB Local started here (free port) and stopped at the end. Capacity is counted as DynamoDB bills it
 * (see attachCostCounter). Ratios are against agent-state's turn 1 in the same run.
 */
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import {
  agentStateConversation,
  type Conversation,
  langChainConversation,
  type TurnCost,
} from "../packages/dynamodb/test/support/agent-turns.js";

const MEASURED_TURNS = [1, 50, 500];

export default async function bench(): Promise<void> {
  const server = await startDynamoDbLocal();
  try {
    const ours = await run(await agentStateConversation(server.endpoint));
    const peer = await run(await langChainConversation(server.endpoint));
    const baseline = ours.get(1);
    const baselineWcu = baseline !== undefined && !("error" in baseline) ? baseline.writeUnits : Number.NaN;
    console.log("| store | turn | requests | RCU | WCU | WCU vs agent-state turn 1 |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const [name, costs] of [
      ["agent-state DynamoStateStore", ours],
      ["LangChain DynamoDBChatMessageHistory", peer],
    ] as const) {
      for (const turn of MEASURED_TURNS) {
        const cost = costs.get(turn);
        if (cost === undefined) continue;
        if ("error" in cost) {
          console.log(`| ${name} | ${turn} | fails: ${cost.error.slice(0, 60)} | | | |`);
          continue;
        }
        const ratio = (cost.writeUnits / baselineWcu).toFixed(1);
        console.log(
          `| ${name} | ${turn} | ${cost.requests} | ${cost.readUnits} | ${cost.writeUnits} | ${ratio}× |`,
        );
      }
    }
  } finally {
    await server.stop();
  }
}

/** Plays turns 1..500 and keeps the measured ones; after a failure, later turns are reported as failing too. */
async function run(conversation: Conversation): Promise<Map<number, TurnCost>> {
  const costs = new Map<number, TurnCost>();
  const last = MEASURED_TURNS[MEASURED_TURNS.length - 1] ?? 1;
  try {
    for (let turn = 1; turn <= last; turn++) {
      const cost = await conversation.turn(turn);
      if (MEASURED_TURNS.includes(turn)) costs.set(turn, cost);
      if ("error" in cost) {
        for (const later of MEASURED_TURNS)
          if (later > turn) costs.set(later, { error: `since turn ${turn}: ${cost.error}` });
        break;
      }
    }
  } finally {
    await conversation.close();
  }
  return costs;
}
