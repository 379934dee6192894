/**
 * `store.records` on memory and DynamoDB Local, each next to a raw baseline measured in the same run:
 * - memory: a sorted array + Map doing the same logical work (copy out with structuredClone);
 * - DynamoDB: the document client's own GetItem / Query (Limit 20) / PutItem on a plain pk+sk table.
 * Operations: `get` of one key, `range` of 20 out of 10,000 records, `write` of one put. Then DynamoDB
 * requests and capacity units (billed as DynamoDB bills them, see attachCostCounter) for one put and one get
 * of a 1 KB, 100 KB and 2 MB value. DynamoDB Local is started here on a free port and stopped at the end.
 */
import { randomBytes } from "node:crypto";
import type { StateStore, StoredRecord } from "@agent-state/core";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { attachCostCounter, dropTables, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { MemoryStateStore } from "@agent-state/memory";
import { Bench } from "tinybench";
import {
  createRawRecordsTable,
  localClients,
  type RawRecordsTable,
} from "../packages/dynamodb/test/support/raw-records.js";
import { markdownTable, opsPerSecond } from "./support.js";

const RECORDS = 10_000;
const PAGE = 20;
const SCOPE = "bench-thread";
const keyOf = (i: number) => `step:${String(i).padStart(6, "0")}`;
const sampleValue = (i: number) => ({ step: i, channel: "messages", payload: "x".repeat(200) });

interface RecordOps {
  get(): Promise<unknown>;
  range(): Promise<unknown>;
  write(): Promise<unknown>;
}

function storeSide(store: StateStore): RecordOps {
  let n = 0;
  return {
    get: () => store.records.get(SCOPE, [keyOf(n++ % RECORDS)]),
    range: () => store.records.range(SCOPE, { after: keyOf(n++ % (RECORDS - PAGE)), limit: PAGE }),
    write: () => store.records.write(SCOPE, [{ put: `w:${n++ % 1000}`, value: sampleValue(n) }]),
  };
}

/** The naive in-memory baseline: a Map for point reads, a sorted key array for ranges. */
function naiveMemorySide(): RecordOps {
  const map = new Map<string, StoredRecord>();
  const sorted: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    map.set(keyOf(i), { key: keyOf(i), value: sampleValue(i), version: 1, updatedAt: 0, expiresAt: null });
    sorted.push(keyOf(i));
  }
  let n = 0;
  return {
    get: async () => structuredClone([map.get(keyOf(n++ % RECORDS)) ?? null]),
    range: async () => {
      const start = n++ % (RECORDS - PAGE);
      return structuredClone(sorted.slice(start + 1, start + 1 + PAGE).map((k) => map.get(k)));
    },
    write: async () => {
      const key = `w:${n++ % 1000}`;
      const previous = map.get(key);
      const record = {
        key,
        value: sampleValue(n),
        version: (previous?.version ?? 0) + 1,
        updatedAt: Date.now(),
        expiresAt: null,
      };
      map.set(key, record);
      return structuredClone([record]);
    },
  };
}

function rawDynamoSide(raw: RawRecordsTable): RecordOps {
  let n = 0;
  return {
    get: () => raw.get(SCOPE, keyOf(n++ % RECORDS)),
    range: () => raw.rangeAfter(SCOPE, keyOf(n++ % (RECORDS - PAGE)), PAGE),
    write: () => raw.put(SCOPE, `w:${n++ % 1000}`, sampleValue(n)),
  };
}

async function fill(store: StateStore): Promise<void> {
  for (let i = 0; i < RECORDS; i += 100) {
    const ops = Array.from({ length: 100 }, (_, j) => ({ put: keyOf(i + j), value: sampleValue(i + j) }));
    await store.records.write(SCOPE, ops);
  }
}

async function measure(sides: Record<string, RecordOps>, timeMs: number): Promise<Map<string, number>> {
  const bench = new Bench({ time: timeMs, warmupTime: timeMs / 5 });
  for (const [name, side] of Object.entries(sides)) {
    bench.add(`${name} get`, () => side.get());
    bench.add(`${name} range`, () => side.range());
    bench.add(`${name} write`, () => side.write());
  }
  await bench.run();
  return new Map(bench.tasks.map((task) => [task.name, opsPerSecond(task)]));
}

function throughputRows(results: Map<string, number>, store: string, baseline: string): string[][] {
  return ["get", "range", "write"].map((op) => {
    const ours = results.get(`${store} ${op}`) ?? Number.NaN;
    const theirs = results.get(`${baseline} ${op}`) ?? Number.NaN;
    const label =
      op === "range"
        ? `range (${PAGE} of ${RECORDS.toLocaleString("en")})`
        : op === "get"
          ? "get (1 key)"
          : "write (1 put)";
    return [store, label, ours.toFixed(0), theirs.toFixed(0), `${(ours / theirs).toFixed(2)}×`];
  });
}

export default async function bench(): Promise<void> {
  const rows: string[][] = [];
  const memory = new MemoryStateStore();
  await fill(memory);
  const memoryResults = await measure({ memory: storeSide(memory), "naive Map": naiveMemorySide() }, 1_000);
  rows.push(...throughputRows(memoryResults, "memory", "naive Map"));
  await memory.close();

  const server = await startDynamoDbLocal();
  const { low, doc } = localClients(server.endpoint);
  const counter = attachCostCounter(low);
  const tables = uniqueTableNames("bench");
  const store = new DynamoStateStore({ client: doc, tables });
  let raw: RawRecordsTable | undefined;
  try {
    await createTables(low, tables);
    raw = await createRawRecordsTable(low, `${tables.sessions}-raw`);
    await fill(store);
    for (let i = 0; i < RECORDS; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) => raw?.put(SCOPE, keyOf(i + j), sampleValue(i + j))),
      );
    }
    const dynamoResults = await measure(
      { dynamodb: storeSide(store), "raw document client": rawDynamoSide(raw) },
      1_000,
    );
    rows.push(...throughputRows(dynamoResults, "dynamodb", "raw document client"));
    console.log(markdownTable(["store", "operation", "ops/s", "baseline ops/s", "store ÷ baseline"], rows));

    const costRows: string[][] = [];
    for (const [label, bytes] of [
      ["1 KB", 1024],
      ["100 KB", 100 * 1024],
      ["2 MB", 2 * 1024 * 1024],
    ] as const) {
      // Random bytes: the worst case (compression cannot help), so the figures are an upper bound.
      const value = new Uint8Array(randomBytes(bytes));
      const put = await counter.measure(() => store.records.write("cost", [{ put: label, value }]));
      const get = await counter.measure(() => store.records.get("cost", [label]));
      const text = "lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes);
      const putText = await counter.measure(() =>
        store.records.write("cost", [{ put: `${label} text`, value: text }]),
      );
      costRows.push(
        [
          label,
          "put (random bytes)",
          String(put.requests),
          put.writeUnits.toFixed(1),
          put.readUnits.toFixed(1),
        ],
        [
          label,
          "get (random bytes)",
          String(get.requests),
          get.writeUnits.toFixed(1),
          get.readUnits.toFixed(1),
        ],
        [
          label,
          "put (English text)",
          String(putText.requests),
          putText.writeUnits.toFixed(1),
          putText.readUnits.toFixed(1),
        ],
      );
    }
    console.log();
    console.log(markdownTable(["value", "operation", "requests", "WCU", "RCU"], costRows));
  } finally {
    await dropTables(low, tables).catch(() => undefined);
    await raw?.drop();
    await store.close();
    low.destroy();
    await server.stop();
  }
}
