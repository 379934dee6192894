/**
 * LangGraph checkpointers, per super-step (one `putWrites` of the task's write + one `put` of the next
 * checkpoint) and per `getTuple` of the latest checkpoint, at thread lengths 10 / 1,000 / 10,000:
 * - `AgentStateSaver` on memory next to LangGraph's `MemorySaver`;
 * - `AgentStateSaver` on DynamoDB Local next to the community `@rwai/langgraphjs-checkpoint-dynamodb` saver
 *   on the same DynamoDB Local, with requests and RCU/WCU as DynamoDB bills them (see attachCostCounter).
 * The state: a `messages` channel rewritten every step (~600 bytes), a `step` counter, and a 4 KB `context`
 * channel written once and carried over. On DynamoDB Local the longest thread is 2,000 steps (filling 10,000
 * takes minutes there); the cost per step does not depend on the length, which is what the table shows.
 */
import type { StateStore } from "@agent-state/core";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import {
  attachCostCounter,
  type CostCounter,
  dropTables,
  uniqueTableNames,
} from "@agent-state/dynamodb/testing";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { AgentStateSaver } from "@agent-state/langgraph";
import { MemoryStateStore } from "@agent-state/memory";
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  MemorySaver,
  uuid6,
} from "@langchain/langgraph-checkpoint";
import { DynamoDBSaver } from "@rwai/langgraphjs-checkpoint-dynamodb";
import { Bench } from "tinybench";
import { localClients } from "../packages/dynamodb/test/support/raw-records.js";
import { markdownTable, opsPerSecond } from "./support.js";

const MEMORY_LENGTHS = [10, 1_000, 10_000];
const DYNAMO_LENGTHS = [10, 1_000, 2_000];
const CONTEXT = "c".repeat(4096);

/** The smallest structural type both savers (two copies of langgraph-checkpoint) satisfy. */
type Saver = Pick<BaseCheckpointSaver, "put" | "putWrites" | "getTuple">;

interface Thread {
  saver: Saver;
  config: RunnableConfig;
  step: number;
  /** The carried-over channel's value (written once, at step 0). */
  context: string;
}

function checkpointAt(step: number, context = CONTEXT): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: { messages: [`message ${step}: ${"lorem ipsum ".repeat(50)}`], step, context },
    channel_versions: { messages: step + 1, step: step + 1, context: 1 },
    versions_seen: { model: { messages: step } },
  };
}

/** One super-step: the task's write on the current checkpoint, then the next checkpoint. */
async function superStep(t: Thread): Promise<void> {
  const { step } = t;
  if (step > 0) await t.saver.putWrites(t.config, [["messages", [`reply ${step}`]]], `task-${step}`);
  const newVersions =
    step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 };
  t.config = await t.saver.put(
    t.config,
    checkpointAt(step, t.context),
    { source: "loop", step, parents: {} },
    newVersions,
  );
  t.step += 1;
}

async function threadOf(saver: Saver, length: number, context = CONTEXT): Promise<Thread> {
  const t: Thread = {
    saver,
    config: { configurable: { thread_id: `bench-${length}-${uuid6(-1)}`, checkpoint_ns: "" } },
    step: 0,
    context,
  };
  for (let i = 0; i < length; i++) await superStep(t);
  return t;
}

async function throughput(t: Thread, timeMs: number): Promise<{ step: number; getTuple: number }> {
  const bench = new Bench({ time: timeMs, warmupTime: timeMs / 5 });
  const latest = { configurable: { thread_id: t.config.configurable?.thread_id, checkpoint_ns: "" } };
  bench.add("step", () => superStep(t));
  bench.add("getTuple", () => t.saver.getTuple(latest));
  await bench.run();
  return { step: opsPerSecond(bench.tasks[0]), getTuple: opsPerSecond(bench.tasks[1]) };
}

async function costs(t: Thread, counter: CostCounter) {
  const latest = { configurable: { thread_id: t.config.configurable?.thread_id, checkpoint_ns: "" } };
  const writes = await counter.measure(() =>
    t.saver.putWrites(t.config, [["messages", ["x"]]], `cost-${t.step}`),
  );
  const put = await counter.measure(async () => {
    t.config = await t.saver.put(
      t.config,
      checkpointAt(t.step, t.context),
      { source: "loop", step: t.step, parents: {} },
      {
        messages: t.step + 1,
        step: t.step + 1,
      },
    );
    t.step += 1;
  });
  const read = await counter.measure(() => t.saver.getTuple(latest));
  return { writes, put, read };
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);

async function memoryRows(): Promise<string[][]> {
  const rows: string[][] = [];
  for (const length of MEMORY_LENGTHS) {
    for (const [name, saver] of [
      ["AgentStateSaver (memory)", new AgentStateSaver(new MemoryStateStore())],
      ["MemorySaver", new MemorySaver()],
    ] as const) {
      const t = await threadOf(saver, length);
      const ops = await throughput(t, 500);
      rows.push([name, length.toLocaleString("en"), f0(ops.step), f0(ops.getTuple)]);
    }
  }
  return rows;
}

/** A pay-per-request table with a string hash key and a string range key. */
async function createKeyTable(low: DynamoDBClient, TableName: string, hash: string, range: string) {
  await low.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: hash, AttributeType: "S" },
        { AttributeName: range, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: hash, KeyType: "HASH" },
        { AttributeName: range, KeyType: "RANGE" },
      ],
    }),
  );
}

/** The two tables the community saver's README asks for (`${prefix}-rwai-checkpoints`, `${prefix}-rwai-writes`). */
export async function createCommunityTables(low: DynamoDBClient, prefix: string) {
  const checkpoints = `${prefix}-rwai-checkpoints`;
  const writes = `${prefix}-rwai-writes`;
  await createKeyTable(low, checkpoints, "thread_id", "checkpoint_id");
  await createKeyTable(low, writes, "thread_id_checkpoint_id_checkpoint_ns", "task_id_idx");
  return {
    checkpoints,
    writes,
    drop: () =>
      Promise.all([checkpoints, writes].map((TableName) => low.send(new DeleteTableCommand({ TableName })))),
  };
}

/** The DynamoDB store as a StateStore, or null while its records (issue 9) are not in this build. */
function withRecords(store: object): StateStore | null {
  return typeof (store as Partial<StateStore>).records?.get === "function" ? (store as StateStore) : null;
}

export default async function bench(): Promise<void> {
  console.log(markdownTable(["saver", "thread length", "super-steps/s", "getTuple/s"], await memoryRows()));

  const server = await startDynamoDbLocal();
  const { low, doc } = localClients(server.endpoint);
  const counter = attachCostCounter(low);
  // Records in a table of their own, as the community saver keeps checkpoints and writes in theirs.
  const tables = uniqueTableNames("bench-lg", { records: true });
  const dynamo = new DynamoStateStore({ client: doc, tables });
  const store = withRecords(dynamo);
  const community = await createCommunityTables(low, tables.sessions);
  const theirs = new DynamoDBSaver({
    clientConfig: {
      endpoint: server.endpoint,
      region: "local",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    },
    checkpointsTableName: community.checkpoints,
    writesTableName: community.writes,
  });
  // The community saver builds its own client and keeps it private; the counter goes on that one.
  const theirClient = (theirs as unknown as { client: DynamoDBClient }).client;
  const theirCounter = attachCostCounter(theirClient);
  try {
    await createTables(low, tables);
    const sides: [string, Saver, CostCounter][] = [["@rwai DynamoDBSaver", theirs as Saver, theirCounter]];
    if (store) sides.unshift(["AgentStateSaver (DynamoDB)", new AgentStateSaver(store), counter]);
    else
      console.log(
        "\n(DynamoStateStore has no records in this build yet: AgentStateSaver on DynamoDB is left out.)",
      );
    const rows: string[][] = [];
    for (const length of DYNAMO_LENGTHS) {
      for (const [name, saver, c] of sides) {
        const t = await threadOf(saver, length);
        const cost = await costs(t, c);
        const ops = await throughput(t, 1_000);
        rows.push([
          name,
          length.toLocaleString("en"),
          `${cost.writes.requests} + ${cost.put.requests}`,
          f1(cost.writes.writeUnits + cost.put.writeUnits),
          f1(cost.writes.readUnits + cost.put.readUnits),
          String(cost.read.requests),
          f1(cost.read.readUnits),
          f0(ops.step),
          f0(ops.getTuple),
        ]);
      }
    }
    const sizeRows: string[][] = [];
    for (const kb of [4, 100, 500]) {
      for (const [name, saver, c] of sides) {
        try {
          const t = await threadOf(saver, 10, "c".repeat(kb * 1024));
          const cost = await costs(t, c);
          sizeRows.push([
            name,
            `${kb} KB`,
            `${cost.writes.requests} + ${cost.put.requests}`,
            f1(cost.writes.writeUnits + cost.put.writeUnits),
            f1(cost.read.readUnits),
          ]);
        } catch (error) {
          sizeRows.push([
            name,
            `${kb} KB`,
            `fails: ${String((error as Error).message).slice(0, 60)}`,
            "",
            "",
          ]);
        }
      }
    }
    console.log();
    console.log(
      markdownTable(
        [
          "saver",
          "thread length",
          "requests / step (putWrites + put)",
          "WCU / step",
          "RCU / step",
          "getTuple requests",
          "getTuple RCU",
          "super-steps/s",
          "getTuple/s",
        ],
        rows,
      ),
    );
    console.log();
    console.log(
      "A carried-over channel of growing size (thread of 10 steps; the channel is written once):\n",
    );
    console.log(
      markdownTable(
        ["saver", "carried-over channel", "requests / step", "WCU / step", "getTuple RCU"],
        sizeRows,
      ),
    );
  } finally {
    await dropTables(low, tables).catch(() => undefined);
    await community.drop().catch(() => undefined);
    await dynamo.close();
    theirClient.destroy();
    low.destroy();
    await server.stop();
  }
}
