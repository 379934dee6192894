/**
 * Probes the embedded store as an outsider would: starts it on a fresh data directory, writes one session
 * through the server's own store, then tries to reach DynamoDB Local with other credentials (ListTables,
 * Scan, PutItem) and on every non-loopback address of this machine. Prints one JSON report.
 *
 *   pnpm --filter agent-state exec tsx scripts/probe-embedded-store.ts
 *
 * Exit code 0 when the outsider saw nothing, 1 otherwise. The server test suite runs `probeEmbeddedStore`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBClient, ListTablesCommand, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { loadConfig } from "../src/config.js";
import { silentLogger } from "../src/logger.js";
import { openStore } from "../src/stores/open-store.js";

export interface ProbeReport {
  /** Tables the server's own key sees (the three agent-state tables). */
  ownTables: string[];
  /**
   * What clients with other credentials saw: table names per credential/region tried, or the error that refused
   * them (`refusedWith`, the embedded store answers other keys and regions UnrecognizedClientException).
   */
  foreign: {
    accessKeyId: string;
    region: string;
    tables: string[];
    scannedItems: number | null;
    refusedWith: string | null;
  }[];
  /** Database files in the data directory after the outsiders' calls (the server's own only). */
  databaseFiles: string[];
  /** Non-loopback addresses of this machine tried, and whether DynamoDB Local accepted a TCP connection. */
  external: { address: string; accepted: boolean }[];
  /** File modes (octal) of the data directory and the credentials file. */
  modes: { dataDir: string; credentials: string };
  /** True when no outsider saw a table, an item, or a connection. */
  sealed: boolean;
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function probeEmbeddedStore(): Promise<ProbeReport> {
  const dataDir = mkdtempSync(join(tmpdir(), "agent-state-probe-"));
  const config = loadConfig({ store: "embedded", port: "0", "data-dir": dataDir }, {});
  const opened = await openStore(config, silentLogger);
  try {
    await opened.store.sessions.create({ sessionId: "probe-secret", userId: "victim", state: { pin: 1234 } });
    const local = opened.embedded;
    if (local === undefined) throw new Error("the embedded store has no supervised DynamoDB Local");
    const endpoint = local.endpoint;
    const client = (accessKeyId: string, region: string) =>
      new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: "guess" } });

    const foreign: ProbeReport["foreign"] = [];
    for (const [accessKeyId, region] of [
      ["local", "local"],
      ["AKIAFOREIGN", "us-east-1"],
      ["fakeMyKeyId", "local"],
    ] as const) {
      const c = client(accessKeyId, region);
      try {
        let tables: string[];
        try {
          tables = (await c.send(new ListTablesCommand({}))).TableNames ?? [];
        } catch (error) {
          foreign.push({
            accessKeyId,
            region,
            tables: [],
            scannedItems: null,
            refusedWith: errorName(error),
          });
          continue;
        }
        let scannedItems: number | null = null;
        try {
          scannedItems = (await c.send(new ScanCommand({ TableName: "agent-sessions" }))).Count ?? 0;
        } catch {
          scannedItems = null; // no such table for this key
        }
        // A write lands in the outsider's own, separate database, never in the server's.
        await c
          .send(new PutItemCommand({ TableName: "agent-sessions", Item: { pk: { S: "x" }, sk: { S: "x" } } }))
          .catch(() => undefined);
        foreign.push({ accessKeyId, region, tables, scannedItems, refusedWith: null });
      } finally {
        c.destroy();
      }
    }

    const credentials = JSON.parse(readFileSync(join(dataDir, "embedded-credentials.json"), "utf8")) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
    const own = new DynamoDBClient({ endpoint, region: "local", credentials });
    const ownTables = (await own.send(new ListTablesCommand({}))).TableNames ?? [];
    own.destroy();

    const external: ProbeReport["external"] = [];
    for (const infos of Object.values(networkInterfaces())) {
      for (const info of infos ?? []) {
        if (info.internal || info.family !== "IPv4") continue;
        external.push({ address: info.address, accepted: await tcpAccepts(info.address, local.port) });
      }
    }
    const databaseFiles = readdirSync(join(dataDir, "dynamodb")).filter((name) => name.endsWith(".db"));
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    const modes = { dataDir: mode(dataDir), credentials: mode(join(dataDir, "embedded-credentials.json")) };
    const sealed =
      foreign.every((f) => f.tables.length === 0 && (f.scannedItems ?? 0) === 0) &&
      external.every((e) => !e.accepted) &&
      databaseFiles.length === 1;
    return { ownTables, foreign, databaseFiles, external, modes, sealed };
  } finally {
    await opened.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const report = await probeEmbeddedStore();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.sealed ? 0 : 1;
}
