import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDbLocalServer } from "@agent-state/dynamodb-local";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createTables, tableDefinitions } from "../create-tables.js";
import { distinctTables, type TableNames } from "../schema.js";
import { type Replicator, type ReplicatorOptions, startReplicator } from "./replicator.js";
import { localClientConfig } from "./tables.js";

/** One "region": a DynamoDB Local process with an on-disk database, so a stopped region keeps its data. */
export interface LocalRegion {
  readonly name: string;
  /** Fixed for the region's life (a restart listens on the same port). */
  readonly endpoint: string;
  readonly clientConfig: ReturnType<typeof localClientConfig>;
  /** True while its process runs. */
  readonly running: boolean;
  /** Kills the process (the region is dead: connections are refused). */
  stop(): Promise<void>;
  /** Starts it again on the same port and database. */
  restart(): Promise<void>;
}

export interface LocalRegions {
  regions: LocalRegion[];
  tables: TableNames;
  /** The replicator between the regions (started with the harness). */
  replicator: Replicator;
  /** Stops the replicator and every process, removes the databases. */
  dispose(): Promise<void>;
}

/**
 * Two (or more) DynamoDB Local processes as regions of a Global Table, for tests: the store's tables are
 * created in each with a NEW_AND_OLD_IMAGES stream, and a replicator (see `startReplicator`) copies writes
 * between them, last writer wins. Every process is started on a free port and stopped by `dispose()`.
 */
export async function startLocalRegions(
  names: string[],
  tables: TableNames,
  replicatorOptions: Omit<ReplicatorOptions, "regions" | "tables"> = {},
  /** How long each process may take to answer (default 120 s: a loaded machine starts a JVM slowly). */
  startTimeoutMs = 120_000,
): Promise<LocalRegions> {
  const started: Array<{ region: LocalRegion; dir: string }> = [];
  try {
    for (const name of names) started.push(await startRegion(name, startTimeoutMs));
    await Promise.all(started.map(({ region }) => createStreamTables(region.clientConfig, tables)));
  } catch (error) {
    await Promise.all(started.map(({ region }) => region.stop()));
    for (const { dir } of started) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const regions = started.map((s) => s.region);
  const replicator = startReplicator({
    ...replicatorOptions,
    regions: regions.map((r) => ({ name: r.name, clientConfig: r.clientConfig })),
    tables: distinctTables(tables),
  });
  return {
    regions,
    tables,
    replicator,
    async dispose() {
      await replicator.stop();
      await Promise.all(regions.map((r) => r.stop()));
      for (const { dir } of started) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startRegion(name: string, startTimeoutMs: number) {
  // An optional peer, loaded here so importing @agent-state/dynamodb/testing does not need it installed.
  const { startDynamoDbLocal } = await import("@agent-state/dynamodb-local");
  const dir = mkdtempSync(join(tmpdir(), `agent-state-region-${name}-`));
  let server: DynamoDbLocalServer | null;
  try {
    server = await startDynamoDbLocal({ dataDir: dir, startTimeoutMs });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = server.port;
  const region: LocalRegion = {
    name,
    endpoint: server.endpoint,
    clientConfig: localClientConfig(server.endpoint),
    get running() {
      return server !== null;
    },
    async stop() {
      const s = server;
      server = null;
      await s?.stop();
    },
    async restart() {
      if (server !== null) return;
      server = await startDynamoDbLocal({ dataDir: dir, port, startTimeoutMs });
    },
  };
  return { region, dir };
}

/** The store's tables with streams (NEW_AND_OLD_IMAGES), then createTables for the wait and TTL. */
async function createStreamTables(clientConfig: ReturnType<typeof localClientConfig>, tables: TableNames) {
  const admin = new DynamoDBClient(clientConfig);
  try {
    for (const definition of tableDefinitions(tables)) {
      await admin.send(
        new CreateTableCommand({
          ...definition,
          StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
        }),
      );
    }
    await createTables(admin, tables);
  } finally {
    admin.destroy();
  }
}
