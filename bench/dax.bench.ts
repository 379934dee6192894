/**
 * Hot reads by one process, 1,000 each, straight from a DynamoStateStore on DynamoDB Local (the baseline) and
 * through `withDax` in the same run: `sessions.get(id, { recentMessages: 20 })`, `records.get` of 3 keys, and
 * `records.range` of a 20-record scope (which withDax always sends to DynamoDB, so it costs what the baseline
 * costs). There is no DAX
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
const RANGE_RECORDS = 20;

type ReadName = "sessions.get" | "records.get" | "records.range";

interface Row {
  read: ReadName;
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

    const RECORD_KEYS = ["k00", "k07", "k13"];
    await writer.records.write(
      "bench",
      Array.from({ length: RANGE_RECORDS }, (_, i) => ({
        put: `k${String(i).padStart(2, "0")}`,
        value: { i, text: `record ${i}` },
      })),
    );
    const reads: Record<
      ReadName,
      (store: Pick<DynamoStateStore, "sessions" | "records">) => Promise<boolean>
    > = {
      "sessions.get": async (store) =>
        (await store.sessions.get(sessionId, { recentMessages: RECENT_MESSAGES }))?.recentMessages?.length ===
        RECENT_MESSAGES,
      "records.get": async (store) =>
        (await store.records.get("bench", RECORD_KEYS)).every((record) => record !== null),
      "records.range": async (store) => (await store.records.range("bench")).items.length === RANGE_RECORDS,
    };

    async function measure(
      read: ReadName,
      path: string,
      store: Pick<DynamoStateStore, "sessions" | "records" | "close">,
    ): Promise<Row> {
      storeRequests.reset();
      daxRequests.reset();
      const started = performance.now();
      for (let i = 0; i < READS; i++) {
        if (!(await reads[read](store))) throw new Error(`${read}, ${path}: wrong answer`);
      }
      const elapsedMs = performance.now() - started;
      await store.close();
      return {
        read,
        path,
        // The double's DescribeTable (it learns the key schema once) is not a read a real cluster makes.
        dynamoRequests:
          storeRequests.total + daxRequests.total - (daxRequests.byCommand.DescribeTableCommand ?? 0),
        opsPerSecond: (READS * 1000) / elapsedMs,
      };
    }

    const rows: Row[] = [];
    for (const read of Object.keys(reads) as ReadName[]) {
      rows.push(await measure(read, "DynamoDB Local direct (baseline)", reader()));
      rows.push(
        await measure(
          read,
          "withDax, L1 off, DAX double",
          withDax(reader(), {
            client: new DaxDouble(DynamoDBDocument.from(daxClient)),
            l1: false,
          }),
        ),
      );
      rows.push(await measure(read, "withDax, L1 only (no DAX)", withDax(reader(), {})));
      rows.push(
        await measure(
          read,
          "withDax, L1 on (ttl 1 s), DAX double",
          withDax(reader(), { client: new DaxDouble(DynamoDBDocument.from(daxClient)) }),
        ),
      );
    }
    await drop();
    print(rows);
  } finally {
    for (const client of [setupClient, storeClient, daxClient]) client.destroy();
    await server.stop();
  }
}

function print(rows: Row[]): void {
  console.log(
    `${READS} × each read, one process, awaited one by one: sessions.get(id, { recentMessages: ${RECENT_MESSAGES} }), ` +
      `records.get of 3 keys, records.range of ${RANGE_RECORDS} records\n`,
  );
  console.log("| read | path | DynamoDB requests | × baseline requests | ops/s | × baseline ops/s |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const row of rows) {
    const baseline = rows.find((r) => r.read === row.read);
    if (baseline === undefined) continue;
    const requestRatio = row.dynamoRequests / baseline.dynamoRequests;
    const speedRatio = row.opsPerSecond / baseline.opsPerSecond;
    console.log(
      `| ${row.read} | ${row.path} | ${row.dynamoRequests} | ${requestRatio.toFixed(3)} | ${Math.round(row.opsPerSecond)} | ${speedRatio.toFixed(1)} |`,
    );
  }
}
