/**
 * A hot session read by one process: 1,000 × `sessions.get(id, { recentMessages: 20 })`, straight from a
 * DynamoStateStore on DynamoDB Local (the baseline) and through `withDax` in the same run. There is no DAX
 * server locally, so "DAX" is the in-process DAX double from the package's tests (item and query caches in
 * front of the same DynamoDB Local): its ops/s say nothing about a real cluster's network hop, only its
 * DynamoDB request count is meaningful. The L1 row is the real thing: in-process hits, no request at all.
 * Starts DynamoDB Local on a free port and stops it (by pid) at the end.
 */
import { ManualClock } from "@agent-state/core/testing";
import { withDax } from "@agent-state/dax";
import type { DynamoStateStore } from "@agent-state/dynamodb";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { DaxDouble } from "../packages/dax/test/support/dax-double.js";
import { countRequests, DynamoDBDocument, localClient } from "../packages/dax/test/support/dynamo.js";
import { freshDynamoStore, sameTablesStore } from "../packages/dax/test/support/stores.js";

const READS = 1_000;
const RECENT_MESSAGES = 20;

interface Row {
  path: string;
  dynamoRequests: number;
  opsPerSecond: number;
}

export default async function bench(): Promise<void> {
  const server = await startDynamoDbLocal();
  const clock = new ManualClock();
  const setupClient = localClient(server.endpoint);
  const storeClient = localClient(server.endpoint);
  const daxClient = localClient(server.endpoint);
  const storeRequests = countRequests(storeClient);
  const daxRequests = countRequests(daxClient);
  try {
    const { store: writer, tables, drop } = await freshDynamoStore(setupClient, clock.now);
    const { sessionId } = await writer.sessions.create({ userId: "bench" });
    for (let i = 0; i < RECENT_MESSAGES; i++) {
      await writer.sessions.append(sessionId, {
        role: i % 2 ? "assistant" : "user",
        content: `message ${i}`,
      });
    }
    const reader = (): DynamoStateStore => sameTablesStore(storeClient, tables, clock.now);
    // Open both clients' connections first, so no row pays for connecting; every row then starts cold.
    await reader().sessions.get(sessionId);
    await new DaxDouble(DynamoDBDocument.from(daxClient)).get({
      TableName: tables.sessions,
      Key: { pk: "warm", sk: "up" },
    });

    async function measure(path: string, store: Pick<DynamoStateStore, "sessions" | "close">): Promise<Row> {
      storeRequests.reset();
      daxRequests.reset();
      const started = performance.now();
      for (let i = 0; i < READS; i++) {
        const session = await store.sessions.get(sessionId, { recentMessages: RECENT_MESSAGES });
        if (session?.recentMessages?.length !== RECENT_MESSAGES) throw new Error(`${path}: wrong answer`);
      }
      const elapsedMs = performance.now() - started;
      await store.close();
      return {
        path,
        dynamoRequests: storeRequests.total + daxRequests.total,
        opsPerSecond: (READS * 1000) / elapsedMs,
      };
    }

    const rows: Row[] = [];
    rows.push(await measure("DynamoDB Local direct (baseline)", reader()));
    rows.push(
      await measure(
        "withDax, L1 off, DAX double",
        withDax(reader(), {
          client: new DaxDouble(DynamoDBDocument.from(daxClient)),
          l1: false,
        }),
      ),
    );
    rows.push(await measure("withDax, L1 only (no DAX)", withDax(reader(), {})));
    rows.push(
      await measure(
        "withDax, L1 on (ttl 1 s), DAX double",
        withDax(reader(), { client: new DaxDouble(DynamoDBDocument.from(daxClient)) }),
      ),
    );
    await drop();
    print(rows);
  } finally {
    for (const client of [setupClient, storeClient, daxClient]) client.destroy();
    await server.stop();
  }
}

function print(rows: Row[]): void {
  const [baseline] = rows;
  if (baseline === undefined) return;
  console.log(
    `${READS} × sessions.get(id, { recentMessages: ${RECENT_MESSAGES} }), one process, awaited one by one\n`,
  );
  console.log("| path | DynamoDB requests | × baseline requests | ops/s | × baseline ops/s |");
  console.log("|---|---:|---:|---:|---:|");
  for (const row of rows) {
    const requestRatio = row.dynamoRequests / baseline.dynamoRequests;
    const speedRatio = row.opsPerSecond / baseline.opsPerSecond;
    console.log(
      `| ${row.path} | ${row.dynamoRequests} | ${requestRatio.toFixed(3)} | ${Math.round(row.opsPerSecond)} | ${speedRatio.toFixed(1)} |`,
    );
  }
}
