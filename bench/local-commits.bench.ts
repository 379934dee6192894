/**
 * What `awaitLocalCommits` costs the embedded store: `sessions.append` of one message on an on-disk DynamoDB Local
 * (the embedded store's engine), through a client without the commit barrier (the baseline, which can lose an
 * acknowledged append to a JVM kill) and through one with it, in the same run. Requests per append are counted
 * at the HTTP layer (exact, not timed). Starts DynamoDB Local on a free port with a temporary data directory and
 * stops it at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDynamoClient, createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { awaitLocalCommits, startDynamoDbLocal } from "@agent-state/dynamodb-local";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Bench } from "tinybench";
import { markdownTable, opsPerSecond } from "./support.js";

function countRequests(client: DynamoDBClient): () => number {
  let requests = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      requests++;
      return next(args);
    },
    { step: "finalizeRequest", name: "countRequests" },
  );
  return () => requests;
}

export default async function bench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "agent-state-bench-commits-"));
  const server = await startDynamoDbLocal({ dataDir, startTimeoutMs: 120_000 });
  const clientConfig = {
    endpoint: server.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const paths = [
    { name: "append, no barrier (baseline)", barrier: false },
    { name: "append, awaitLocalCommits", barrier: true },
  ].map((path) => {
    const low = createDynamoClient(clientConfig);
    if (path.barrier) awaitLocalCommits(low);
    return { ...path, low, requests: countRequests(low), store: new DynamoStateStore({ client: low }) };
  });
  try {
    await createTables(paths[0]?.low as DynamoDBClient);
    const bench = new Bench({ time: 2_000, warmupTime: 300 });
    const perAppend = new Map<string, number>();
    for (const path of paths) {
      const { sessionId } = await path.store.sessions.create({ userId: "bench" });
      const append = () => path.store.sessions.append(sessionId, { role: "user", content: "hello" });
      const before = path.requests();
      for (let i = 0; i < 20; i++) await append();
      perAppend.set(path.name, (path.requests() - before) / 20);
      bench.add(path.name, append);
    }
    await bench.run();
    const baseline = opsPerSecond(bench.getTask(paths[0]?.name ?? ""));
    const rows = paths.map((path) => {
      const ops = opsPerSecond(bench.getTask(path.name));
      return [
        path.name,
        Math.round(ops).toLocaleString("en-US"),
        `${(ops / baseline).toFixed(2)}×`,
        String(perAppend.get(path.name)),
      ];
    });
    console.log(
      markdownTable(["DynamoDB Local on disk", "appends/s", "vs baseline", "requests per append"], rows),
    );
    console.log(
      `\nnode ${process.version}, one caller, sequential appends, ${bench.time} ms per task after warm-up`,
    );
  } finally {
    for (const path of paths) {
      await path.store.close();
      path.low.destroy();
    }
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
