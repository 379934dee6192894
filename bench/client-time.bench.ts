/**
 * The client's own time on an agent's critical path, without a server's noise: the LangGraph super-step
 * (`putWrites` + `put`) of `AgentStateSaver` on DynamoDB (through a DynamoDBClient with the SDK's
 * cacheMiddleware, as the store builds its own, and through lib-dynamodb's DynamoDBDocumentClient) next to the
 * community `@rwai/langgraphjs-checkpoint-dynamodb` saver, all on AWS SDK clients whose request handler answers every
 * request `{}` after SERVER_MS (as a DynamoDB that takes that long; nothing goes over a network). Per side:
 * - wall: the super-step's median time, which is 2 × SERVER_MS plus the client's time on the critical path;
 * - before send: from the call to the request reaching the handler (the saver, the store, the SDK building and
 *   signing the request), summed over the step's two requests;
 * - after answer: from the handler's answer to the call returning (the SDK parsing it, the store and saver);
 * - CPU: the process's CPU time per step (work done while a request waits costs CPU but no wall time).
 * `pnpm bench latency` measures the same calls against DynamoDB Local, whose own time per request (≈1 ms on
 * the bench machine, more for a conditional write) and the CPU it takes from a shared machine move its 0 ms
 * column; this bench isolates what the client itself adds. The sides alternate step by step.
 */

import { Readable } from "node:stream";
import type { StateStore } from "@agent-state/core";
import { DynamoStateStore } from "@agent-state/dynamodb";
import { AgentStateSaver } from "@agent-state/langgraph";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type BaseCheckpointSaver, type Checkpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { DynamoDBSaver } from "@rwai/langgraphjs-checkpoint-dynamodb";
import { localClients } from "../packages/dynamodb/test/support/raw-records.js";
import { markdownTable } from "./support.js";

/** How long the stand-in server takes per request. */
const SERVER_MS = 1;
const WARMUP_STEPS = 300;
const STEPS = 1_500;
const CONTEXT = "c".repeat(4096);

type Saver = Pick<BaseCheckpointSaver, "put" | "putWrites">;

function checkpointAt(step: number): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: { messages: [`message ${step}: ${"lorem ipsum ".repeat(50)}`], step, context: CONTEXT },
    channel_versions: { messages: step + 1, step: step + 1, context: 1 },
    versions_seen: { model: { messages: step } },
  };
}

/** When the current request reached the handler and when the handler answered (performance.now()). */
const clock = { sent: 0, answered: 0 };

/** Answers every request `{}` after SERVER_MS: a timer for most of it, then a spin to the exact time. */
const standInServer = {
  async handle() {
    clock.sent = performance.now();
    const due = clock.sent + SERVER_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, SERVER_MS - 0.3)));
    while (performance.now() < due) {
      // the rest of the server's time, exactly
    }
    clock.answered = performance.now();
    return {
      response: {
        statusCode: 200,
        headers: { "content-type": "application/x-amz-json-1.0", "content-length": "2" },
        body: Readable.from([Buffer.from("{}")]),
      },
    };
  },
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
  destroy() {},
};

const clientConfig = {
  endpoint: "http://127.0.0.1:9",
  region: "local",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  requestHandler: standInServer,
};

interface Timed {
  wallMs: number[];
  beforeSendUs: number[];
  afterAnswerUs: number[];
  cpuUs: number;
}

/** One super-step per `step()`, timing each of its two calls' client segments. */
function threadOn(saver: Saver) {
  let config: RunnableConfig = { configurable: { thread_id: `client-time-${uuid6(-1)}`, checkpoint_ns: "" } };
  let n = 0;
  const segments = async (call: () => Promise<unknown>) => {
    const start = performance.now();
    await call();
    return { before: clock.sent - start, after: performance.now() - clock.answered };
  };
  return async (into?: Timed) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    let before = 0;
    let after = 0;
    if (n > 0) {
      const w = await segments(() => saver.putWrites(config, [["messages", [`reply ${n}`]]], `task-${n}`));
      before += w.before;
      after += w.after;
    }
    const versions = n === 0 ? { messages: 1, step: 1, context: 1 } : { messages: n + 1, step: n + 1 };
    const p = await segments(async () => {
      config = await saver.put(config, checkpointAt(n), { source: "loop", step: n, parents: {} }, versions);
    });
    n += 1;
    if (into === undefined) return;
    into.wallMs.push(performance.now() - start);
    into.beforeSendUs.push((before + p.before) * 1000);
    into.afterAnswerUs.push((after + p.after) * 1000);
    const used = process.cpuUsage(cpu);
    into.cpuUs += used.user + used.system;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export default async function clientTimeBench(): Promise<void> {
  const tables = {
    sessions: "sessions",
    toolCache: "tool-cache",
    preferences: "preferences",
    records: "records",
  };
  // As the store builds its own client: a DynamoDBClient with the SDK's cacheMiddleware.
  const client = new DynamoDBClient({ ...clientConfig, cacheMiddleware: true } as never);
  // lib-dynamodb's document client (which refuses cacheMiddleware), over a client of its own.
  const { doc } = localClients(clientConfig.endpoint);
  const docClient = (doc.constructor as unknown as { from(client: DynamoDBClient): typeof doc }).from(
    new DynamoDBClient(clientConfig as never),
  );
  const peer = new DynamoDBSaver({
    clientConfig: clientConfig as never,
    checkpointsTableName: "checkpoints",
    writesTableName: "writes",
  });
  const saverOn = (store: DynamoStateStore) => threadOn(new AgentStateSaver(store as StateStore));
  const sides = [
    { name: "AgentStateSaver", step: saverOn(new DynamoStateStore({ client, tables })) },
    { name: "@rwai DynamoDBSaver", step: threadOn(peer as unknown as Saver) },
    {
      name: "AgentStateSaver, DynamoDBDocumentClient",
      step: saverOn(new DynamoStateStore({ client: docClient, tables })),
    },
  ];
  for (let i = 0; i < WARMUP_STEPS; i++) for (const side of sides) await side.step();
  const timed = sides.map(() => ({ wallMs: [], beforeSendUs: [], afterAnswerUs: [], cpuUs: 0 }) as Timed);
  for (let i = 0; i < STEPS; i++) for (const [s, side] of sides.entries()) await side.step(timed[s]);
  const rows = sides.map((side, s) => {
    const t = timed[s] as Timed;
    return [
      "LangGraph super-step",
      side.name,
      median(t.wallMs).toFixed(3),
      median(t.beforeSendUs).toFixed(0),
      median(t.afterAnswerUs).toFixed(0),
      (t.cpuUs / STEPS).toFixed(0),
    ];
  });
  console.log(
    markdownTable(
      ["call", "side", `wall ms (2 × ${SERVER_MS} ms server)`, "µs before send", "µs after answer", "CPU µs"],
      rows,
    ),
  );
  const [ours, theirs, throughDoc] = timed as [Timed, Timed, Timed];
  const clientUs = (t: Timed) => (median(t.wallMs) - 2 * SERVER_MS) * 1000;
  console.log(
    `\nnode ${process.version}; medians of ${STEPS} steps per side after ${WARMUP_STEPS}, the sides alternating. ` +
      `Client time on the critical path (wall − server): ${clientUs(ours).toFixed(0)} µs vs ` +
      `${clientUs(theirs).toFixed(0)} µs, ${(clientUs(ours) / clientUs(theirs)).toFixed(2)}× the peer's; ` +
      `wall ${(median(ours.wallMs) / median(theirs.wallMs)).toFixed(3)}× the peer's ` +
      `(through a DynamoDBDocumentClient: ${clientUs(throughDoc).toFixed(0)} µs, ` +
      `${(median(throughDoc.wallMs) / median(theirs.wallMs)).toFixed(3)}×).`,
  );
}
