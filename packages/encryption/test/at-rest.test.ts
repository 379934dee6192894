import { randomBytes, randomUUID } from "node:crypto";
import type { StateStore } from "@agent-state/core";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { RedisStateStore } from "@agent-state/redis";
import { type AttributeValue, DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, inject, it } from "vitest";
import { withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";

// After a workload that writes a marker into every kind of value, the engines are read raw (DynamoDB Scan of
// every table, every Redis key of the store read by type). Through withEncryption no marker is found; on the
// bare store (the control) the same scan finds them, so the scan can see what it looks for.

const MARKERS = {
  state: "plain-state-3f9a",
  message: "plain-message-8c2e",
  metadata: "plain-metadata-51bd",
  idempotent: "plain-idempotent-0a7c",
  record: "plain-record-6e14",
  bytes: "plain-bytes-d2f0",
  cache: "plain-cache-9b33",
  preference: "plain-preference-47aa",
  patch: "plain-patch-c805",
};

async function workload(store: StateStore): Promise<void> {
  const { sessionId } = await store.sessions.create({ userId: "u", state: { note: MARKERS.state } });
  await store.sessions.update(sessionId, { state: { note: MARKERS.state, n: 2 } });
  await store.sessions.append(sessionId, [
    { role: "user", content: MARKERS.message, metadata: { tag: MARKERS.metadata } },
    { role: "assistant", content: `${MARKERS.message} reply` },
  ]);
  await store.sessions.append(
    sessionId,
    { role: "user", content: MARKERS.idempotent },
    { idempotencyKey: "k" },
  );
  // Large values take the backends' compressed and chunked paths.
  await store.sessions.append(sessionId, { role: "tool", content: `${MARKERS.message} `.repeat(50_000) });
  await store.records.write("scope", [
    { put: "json", value: { text: MARKERS.record } },
    { put: "bytes", value: new Uint8Array(Buffer.from(MARKERS.bytes)) },
    { put: "large", value: randomBytes(600_000).toString("base64") + MARKERS.record },
  ]);
  await store.toolCache.set("tool", { q: 1 }, { answer: MARKERS.cache }, { ttlSeconds: 600 });
  await store.preferences.set("u", "agent", { theme: MARKERS.preference });
  await store.preferences.patch("u", "agent", { lang: MARKERS.patch });
}

function found(dump: string): string[] {
  return Object.values(MARKERS).filter((marker) => dump.includes(marker));
}

const SMALL_MARKERS = Object.values(MARKERS);

describe("DynamoDB Local, scanned raw", () => {
  const client = new DynamoDBClient(localClientConfig(inject("testBackends").dynamoEndpoint));
  afterAll(() => client.destroy());

  async function run(encrypted: boolean): Promise<string> {
    const tables = await createTables(client, uniqueTableNames("rest"));
    try {
      const inner = new DynamoStateStore({ client: DynamoDBDocument.from(client), tables });
      await workload(encrypted ? withEncryption(inner, { keyring: testKeyring() }) : inner);
      let dump = "";
      for (const TableName of [tables.sessions, tables.toolCache, tables.preferences]) {
        for await (const page of paginateScan({ client }, { TableName })) {
          for (const item of page.Items ?? []) dump += attributeText(item);
        }
      }
      return dump;
    } finally {
      await dropTables(client, tables);
    }
  }

  it("finds no plaintext marker through withEncryption (and every one without it)", async () => {
    expect(found(await run(false))).toEqual(SMALL_MARKERS);
    expect(found(await run(true))).toEqual([]);
  });
});

describe("Redis, every key read raw", () => {
  async function run(encrypted: boolean): Promise<string> {
    const { redisHost, redisPort } = inject("testBackends");
    const keyPrefix = `rest-${randomUUID()}:`;
    const inner = new RedisStateStore({ redisOptions: { host: redisHost, port: redisPort }, keyPrefix });
    try {
      await workload(encrypted ? withEncryption(inner, { keyring: testKeyring() }) : inner);
      const redis = inner.client;
      let dump = "";
      const keys = await redis.keys(`${keyPrefix}*`);
      expect(keys.length).toBeGreaterThan(5);
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === "string") dump += latin1(await redis.getBuffer(key));
        else if (type === "hash") {
          for (const [field, value] of Object.entries(await redis.hgetallBuffer(key)))
            dump += `${field} ${latin1(value)} `;
        } else if (type === "zset") dump += (await redis.zrangeBuffer(key, "0", "-1")).map(latin1).join(" ");
        else if (type === "stream")
          dump += JSON.stringify(await redis.xrangeBuffer(key, "-", "+"), bufferText);
        else if (type === "list") dump += (await redis.lrangeBuffer(key, 0, -1)).map(latin1).join(" ");
        else if (type === "set") dump += (await redis.smembersBuffer(key)).map(latin1).join(" ");
        else throw new Error(`unexpected key type ${type}`);
      }
      return dump;
    } finally {
      await inner.close();
    }
  }

  it("finds no plaintext marker through withEncryption (and every one without it)", async () => {
    expect(found(await run(false))).toEqual(SMALL_MARKERS);
    expect(found(await run(true))).toEqual([]);
  });
});

function latin1(buffer: Buffer | null): string {
  return buffer === null ? "" : buffer.toString("latin1");
}

function bufferText(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && (value as { type?: unknown }).type === "Buffer") {
    return Buffer.from((value as { data: number[] }).data).toString("latin1");
  }
  return value;
}

/** Every string and binary in a raw DynamoDB item, as text (binaries as latin1). */
function attributeText(item: Record<string, AttributeValue>): string {
  return JSON.stringify(item, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : value,
  );
}
