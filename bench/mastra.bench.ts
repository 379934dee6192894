/**
 * Mastra storage on DynamoDB Local: `AgentStateMastraStore` on a `DynamoStateStore` next to `@mastra/dynamodb`
 * (`DynamoDBStore`, ElectroDB single table with 7 GSIs, created here as its TABLE_SETUP asks), per Mastra
 * storage call at thread lengths 100 and 1,000: requests, and capacity units as DynamoDB bills them (see
 * attachCostCounter), then the throughput of an agent turn (getThreadById + the last 40 messages + saving
 * the user message and the reply) as a ratio against `@mastra/dynamodb` measured in the same run, and
 * what happens to a message of 100 KB, 500 KB and 2 MB.
 */
import { randomBytes } from "node:crypto";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import {
  attachCostCounter,
  type CostCounter,
  type CostSnapshot,
  dropTables,
  uniqueTableNames,
} from "@agent-state/dynamodb/testing";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { AgentStateMastraStore } from "@agent-state/mastra";
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { MastraDBMessage } from "@mastra/core/memory";
import type { MastraCompositeStore, MemoryStorage, WorkflowsStorage } from "@mastra/core/storage";
import type { WorkflowRunState } from "@mastra/core/workflows";
import { DynamoDBStore } from "@mastra/dynamodb";
import { Bench } from "tinybench";
import { localClients } from "../packages/dynamodb/test/support/raw-records.js";
import { markdownTable, opsPerSecond } from "./support.js";

const LENGTHS = [100, 1_000];
const TEXT = "lorem ipsum dolor sit amet ".repeat(20); // ~540 bytes, a typical chat turn

interface Side {
  name: string;
  memory: MemoryStorage;
  workflows: WorkflowsStorage;
  counter: CostCounter;
}

async function sideOf(name: string, store: MastraCompositeStore, counter: CostCounter): Promise<Side> {
  await store.init();
  return {
    name,
    memory: (await store.getStore("memory")) as MemoryStorage,
    workflows: (await store.getStore("workflows")) as WorkflowsStorage,
    counter,
  };
}

let sequence = 0;
function message(threadId: string, role: "user" | "assistant", text = TEXT): MastraDBMessage {
  sequence += 1;
  return {
    id: `msg-${sequence}`,
    role,
    createdAt: new Date(Date.UTC(2026, 0, 1) + sequence),
    threadId,
    resourceId: "user-1",
    type: "v2",
    content: { format: 2, parts: [{ type: "text", text }] },
  } as MastraDBMessage;
}

async function threadOf(side: Side, length: number): Promise<string> {
  const threadId = `thread-${length}-${sequence}`;
  const now = new Date();
  await side.memory.saveThread({
    thread: { id: threadId, resourceId: "user-1", title: "bench", createdAt: now, updatedAt: now },
  });
  for (let i = 0; i < length; i += 50) {
    const batch = Array.from({ length: Math.min(50, length - i) }, (_, j) =>
      message(threadId, (i + j) % 2 === 0 ? "user" : "assistant"),
    );
    await side.memory.saveMessages({ messages: batch });
  }
  return threadId;
}

const recall = (side: Side, threadId: string) =>
  side.memory.listMessages({
    threadId,
    resourceId: "user-1",
    perPage: 40,
    orderBy: { field: "createdAt", direction: "DESC" },
  });

/** One agent turn as Memory drives storage: read the thread, recall the last 40, save question and reply. */
async function turn(side: Side, threadId: string): Promise<void> {
  await side.memory.getThreadById({ threadId });
  await recall(side, threadId);
  await side.memory.saveMessages({ messages: [message(threadId, "user"), message(threadId, "assistant")] });
}

function snapshot(runId: string): WorkflowRunState {
  return {
    runId,
    status: "running",
    value: {},
    context: { input: { q: TEXT }, step1: { status: "success", output: { a: TEXT } } },
    serializedStepGraph: [],
    activePaths: [],
    activeStepsPath: {},
    suspendedPaths: {},
    resumeLabels: {},
    waitingPaths: {},
    timestamp: Date.now(),
  } as unknown as WorkflowRunState;
}

const f1 = (n: number) => n.toFixed(1);
const cell = (s: CostSnapshot) => `${s.requests} / ${f1(s.readUnits)} / ${f1(s.writeUnits)}`;

/** The single table `@mastra/dynamodb` expects: pk/sk and gsi1…gsi7, each with its own pk/sk (all strings). */
async function createMastraTable(low: DynamoDBClient, TableName: string): Promise<void> {
  const gsis = [1, 2, 3, 4, 5, 6, 7].map((n) => `gsi${n}`);
  await low.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: ["pk", "sk", ...gsis.flatMap((g) => [`${g}pk`, `${g}sk`])].map(
        (AttributeName) => ({
          AttributeName,
          AttributeType: "S",
        }),
      ),
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: gsis.map((g) => ({
        IndexName: g,
        KeySchema: [
          { AttributeName: `${g}pk`, KeyType: "HASH" },
          { AttributeName: `${g}sk`, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      })),
    }),
  );
}

export default async function bench(): Promise<void> {
  const server = await startDynamoDbLocal();
  const ours = localClients(server.endpoint);
  const theirs = localClients(server.endpoint);
  const tables = uniqueTableNames("bench-mastra");
  const mastraTable = `${tables.sessions}-mastra-single`;
  const dynamo = new DynamoStateStore({ client: ours.doc, tables });
  try {
    await createTables(ours.low, tables);
    await createMastraTable(theirs.low, mastraTable);
    const sides = [
      await sideOf(
        "AgentStateMastraStore (DynamoDB)",
        new AgentStateMastraStore({ store: dynamo }),
        attachCostCounter(ours.low),
      ),
      await sideOf(
        "@mastra/dynamodb",
        new DynamoDBStore({
          name: "dynamodb",
          config: { id: "bench", tableName: mastraTable, client: theirs.doc },
        }),
        attachCostCounter(theirs.low),
      ),
    ];

    const costRows: string[][] = [];
    const turnRates = new Map<string, number[]>();
    for (const length of LENGTHS) {
      for (const side of sides) {
        const threadId = await threadOf(side, length);
        const c = side.counter;
        const getThread = await c.measure(() => side.memory.getThreadById({ threadId }));
        const last40 = await c.measure(() => recall(side, threadId));
        const save = await c.measure(() =>
          side.memory.saveMessages({ messages: [message(threadId, "user"), message(threadId, "assistant")] }),
        );
        const workingMemory = await c.measure(() =>
          side.memory.updateResource({ resourceId: "user-1", workingMemory: "# User\n- name: Ada" }),
        );
        const runId = `run-${length}`;
        const persist = await c.measure(() =>
          side.workflows.persistWorkflowSnapshot({ workflowName: "wf", runId, snapshot: snapshot(runId) }),
        );
        const load = await c.measure(() =>
          side.workflows.loadWorkflowSnapshot({ workflowName: "wf", runId }),
        );
        costRows.push([
          side.name,
          length.toLocaleString("en"),
          cell(getThread),
          cell(last40),
          cell(save),
          cell(workingMemory),
          cell(persist),
          cell(load),
        ]);
        const b = new Bench({ time: 1_500, warmupTime: 300 });
        b.add("turn", () => turn(side, threadId));
        await b.run();
        turnRates.set(side.name, [...(turnRates.get(side.name) ?? []), opsPerSecond(b.tasks[0])]);
      }
    }
    console.log(
      "Per call: requests / RCU / WCU (DynamoDB billing: transactions at 2×, failed conditional writes 1 WCU).\n",
    );
    console.log(
      markdownTable(
        [
          "storage",
          "thread length",
          "getThreadById",
          "listMessages (last 40)",
          "saveMessages (2)",
          "updateResource",
          "persistWorkflowSnapshot",
          "loadWorkflowSnapshot",
        ],
        costRows,
      ),
    );

    const baseline = turnRates.get("@mastra/dynamodb") ?? [];
    const turnRows = sides.map((side) => [
      side.name,
      ...(turnRates.get(side.name) ?? []).map(
        (rate, i) => `${rate.toFixed(0)} (${(rate / (baseline[i] ?? rate)).toFixed(2)}×)`,
      ),
    ]);
    console.log();
    console.log(
      markdownTable(
        ["agent turns/s (× @mastra/dynamodb)", ...LENGTHS.map((l) => `thread of ${l.toLocaleString("en")}`)],
        turnRows,
      ),
    );

    const sizeRows: string[][] = [];
    for (const kb of [100, 500, 2048]) {
      for (const side of sides) {
        const threadId = await threadOf(side, 0);
        try {
          // Random text: DynamoStateStore compresses values, and a repeated letter would flatter it.
          const big = message(threadId, "user", randomBytes(kb * 768).toString("base64"));
          const save = await side.counter.measure(() => side.memory.saveMessages({ messages: [big] }));
          const read = await side.counter.measure(() =>
            side.memory.listMessagesById({ messageIds: [big.id] }),
          );
          const { messages } = await side.memory.listMessagesById({ messageIds: [big.id] });
          const ok =
            (messages[0]?.content.parts[0] as { text?: string } | undefined)?.text?.length === kb * 1024;
          sizeRows.push([
            side.name,
            `${kb} KB`,
            ok ? "round-trips" : "NOT read back",
            cell(save),
            cell(read),
          ]);
        } catch (error) {
          sizeRows.push([
            side.name,
            `${kb} KB`,
            `fails: ${String((error as Error).message).slice(0, 70)}`,
            "",
            "",
          ]);
        }
      }
    }
    console.log();
    console.log(
      markdownTable(["storage", "message", "outcome", "saveMessages", "listMessagesById"], sizeRows),
    );
  } finally {
    await dropTables(ours.low, tables).catch(() => undefined);
    await theirs.low.send(new DeleteTableCommand({ TableName: mastraTable })).catch(() => undefined);
    await dynamo.close();
    ours.low.destroy();
    theirs.low.destroy();
    await server.stop();
  }
}
