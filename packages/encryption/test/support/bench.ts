/**
 * What `withEncryption` costs. On memory: ops/s of the bare store and of the same store through the decorator
 * (local keyring), measured in the same run, as a ratio. On DynamoDB Local (started here, stopped at the end):
 * requests, RCU and WCU of one append of a 1 KB message (and one 20-message read) on a bare DynamoStateStore
 * and through the decorator, counted as DynamoDB bills them (attachCostCounter); and the stored bytes overhead.
 */
import { randomBytes } from "node:crypto";
import type { Json, StateStore } from "@agent-state/core";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { attachCostCounter, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { localKeyring, withEncryption } from "@agent-state/encryption";
import { MemoryStateStore } from "@agent-state/memory";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { Bench } from "tinybench";
import { markdownTable, opsPerSecond } from "../../../../bench/support.js";

const KB_MESSAGE = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(18).slice(0, 1000);
const params: Record<string, Json> = { query: "weather in Oslo", limit: 10 };
const result: Json = { results: Array.from({ length: 5 }, (_, i) => ({ title: `Result ${i}`, score: i })) };

function keyring() {
  return localKeyring({ keys: { k1: randomBytes(32) }, current: "k1" });
}

async function seed(store: StateStore): Promise<void> {
  await store.sessions.create({ sessionId: "s", userId: "u", state: { step: 3, plan: ["a", "b"] } });
  for (let i = 0; i < 4; i++) {
    await store.sessions.append(
      "s",
      Array.from({ length: 50 }, (_, j) => ({
        role: "user" as const,
        content: `${i * 50 + j}: ${KB_MESSAGE}`,
      })),
    );
  }
  await store.toolCache.set("search", params, result, { ttlSeconds: 3600 });
  await store.records.write("thread", [{ put: "checkpoint", value: { channel: KB_MESSAGE } }]);
}

async function memoryRatios(): Promise<void> {
  const bare = new MemoryStateStore();
  const encrypted = withEncryption(new MemoryStateStore(), { keyring: keyring() });
  await seed(bare);
  await seed(encrypted);
  const paths: [string, (s: StateStore) => Promise<unknown>][] = [
    ["sessions.append (1 KB message)", (s) => s.sessions.append("s", { role: "user", content: KB_MESSAGE })],
    ["sessions.get (20 recent of 200+)", (s) => s.sessions.get("s", { recentMessages: 20 })],
    ["toolCache.get (hit)", (s) => s.toolCache.get("search", params)],
    ["records.get (1 KB value)", (s) => s.records.get("thread", ["checkpoint"])],
  ];
  const bench = new Bench({ time: 800, warmupTime: 200 });
  for (const [name, run] of paths) {
    bench.add(`bare: ${name}`, () => run(bare), { async: true });
    bench.add(`encrypted: ${name}`, () => run(encrypted), { async: true });
  }
  await bench.run();
  const rows = paths.map(([name]) => {
    const bareOps = opsPerSecond(bench.getTask(`bare: ${name}`));
    const encOps = opsPerSecond(bench.getTask(`encrypted: ${name}`));
    return [
      name,
      Math.round(bareOps).toLocaleString("en-US"),
      Math.round(encOps).toLocaleString("en-US"),
      `${(bareOps / encOps).toFixed(2)}×`,
    ];
  });
  console.log("Memory store, local keyring (time ratio: bare ops/s ÷ encrypted ops/s):\n");
  console.log(markdownTable(["path", "bare ops/s", "encrypted ops/s", "cost (ratio)"], rows));
}

async function dynamoCosts(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const cost = attachCostCounter(client);
  const rows: string[][] = [];
  try {
    for (const encrypt of [false, true]) {
      const tables = await createTables(client, uniqueTableNames("bench-enc"));
      const inner = new DynamoStateStore({ client: DynamoDBDocument.from(client), tables });
      const store = encrypt ? withEncryption(inner, { keyring: keyring() }) : inner;
      await seed(store);
      const name = encrypt ? "withEncryption(DynamoStateStore)" : "DynamoStateStore";
      const append = await cost.measure(() =>
        store.sessions.append("s", { role: "user", content: KB_MESSAGE }),
      );
      const randomText = randomBytes(750).toString("base64"); // 1,000 characters that do not compress
      const incompressible = await cost.measure(() =>
        store.sessions.append("s", { role: "user", content: randomText }),
      );
      const idempotent = await cost.measure(() =>
        store.sessions.append("s", { role: "user", content: KB_MESSAGE }, { idempotencyKey: "turn-1" }),
      );
      const read = await cost.measure(() => store.sessions.get("s", { recentMessages: 20 }));
      for (const [what, c] of [
        ["append 1 KB (text)", append],
        ["append 1 KB (random, incompressible)", incompressible],
        ["idempotent append 1 KB", idempotent],
        ["get + 20 recent", read],
      ] as const) {
        rows.push([name, what, String(c.requests), String(c.readUnits), String(c.writeUnits)]);
      }
    }
  } finally {
    client.destroy();
  }
  console.log("\nDynamoDB Local, one operation on a warm session (capacity as DynamoDB bills it):\n");
  console.log(markdownTable(["store", "operation", "requests", "RCU", "WCU"], rows));
}

function overheadBytes(): void {
  const kr = keyring();
  const inner = new MemoryStateStore();
  const store = withEncryption(inner, { keyring: kr, compress: false });
  return void (async () => {
    await store.records.write("o", [{ put: "k", value: new Uint8Array(1000) }]);
    await store.toolCache.set("t", {}, "x".repeat(998), { ttlSeconds: 60 });
    const { sessionId } = await store.sessions.create();
    await store.sessions.append(sessionId, { role: "user", content: "x".repeat(1000) });
    const record = (await inner.records.get("o", ["k"]))[0]?.value as Uint8Array;
    const cached = (await inner.toolCache.get<string>("t", {}))?.value as string;
    const [message] = (await inner.sessions.messages(sessionId)).items;
    const messageBytes =
      Buffer.byteLength(message!.content) + Buffer.byteLength(JSON.stringify(message!.metadata));
    console.log("\nStored size of a 1,000-byte value (local keyring, key id `k1`, compression off):\n");
    console.log(
      markdownTable(
        ["value", "plaintext bytes", "stored bytes", "overhead"],
        [
          ["record (bytes)", "1000", String(record.length), `+${record.length - 1000}`],
          [
            "cached result (JSON string)",
            "1000",
            String(Buffer.byteLength(JSON.stringify(cached))),
            `+${Buffer.byteLength(JSON.stringify(cached)) - 1000}`,
          ],
          ["message (content)", "1000", String(messageBytes), `+${messageBytes - 1000}`],
        ],
      ),
    );
  })();
}

export default async function bench(): Promise<void> {
  await memoryRatios();
  await overheadBytes();
  const server = await startDynamoDbLocal();
  try {
    await dynamoCosts(server.endpoint);
  } finally {
    await server.stop();
  }
}
