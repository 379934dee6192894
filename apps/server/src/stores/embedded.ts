import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDynamoClient, DynamoStateStore } from "@agent-state/dynamodb";
import {
  awaitLocalCommits,
  type DynamoDbLocalExit,
  type DynamoDbLocalServer,
  pickFreePort,
  startDynamoDbLocal,
} from "@agent-state/dynamodb-local";
import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { ServerConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { ensureTables, prefixedTables } from "./dynamodb.js";
import type { HealthReport, OpenedStore } from "./open-store.js";

/** The region the embedded store signs with; DynamoDB Local keeps one database per access key id + region. */
export const EMBEDDED_REGION = "local";
const CREDENTIALS_FILE = "embedded-credentials.json";
/** The database file DynamoDB Local keeps with -sharedDb (how the embedded store ran before). */
const SHARED_DB_FILE = "shared-local-instance.db";

/** The secret the server alone holds: DynamoDB Local serves a separate, empty database to any other key. */
export interface EmbeddedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Restart delays after the JVM died: doubling from `initialMs` up to `maxMs`. */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
}

const DEFAULT_BACKOFF: RestartBackoff = { initialMs: 250, maxMs: 5_000 };

/**
 * The embedded store's credentials, generated once and kept in `<dataDir>/embedded-credentials.json` with mode
 * 0600 (the data directory itself is 0700). A looser mode found on disk is tightened.
 */
export function loadOrCreateCredentials(dataDir: string): EmbeddedCredentials {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const file = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(file)) {
    // Letters and digits only: the access key id becomes part of DynamoDB Local's database file name.
    const credentials: EmbeddedCredentials = {
      accessKeyId: `AS${randomBytes(15).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString("base64url"),
    };
    writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    return credentials;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<EmbeddedCredentials>;
  const { accessKeyId, secretAccessKey } = parsed;
  if (
    typeof accessKeyId !== "string" ||
    !/^[A-Z0-9]{16,128}$/.test(accessKeyId) ||
    typeof secretAccessKey !== "string" ||
    secretAccessKey.length === 0
  ) {
    throw new Error(`${file} is not valid: expected { "accessKeyId": "…", "secretAccessKey": "…" }`);
  }
  return { accessKeyId, secretAccessKey };
}

/**
 * Data written before the embedded store had its own key lives in DynamoDB Local's shared database file;
 * it becomes this key's database (once, and only when the key has none yet), so existing sessions stay.
 */
function adoptSharedDatabase(dbDir: string, credentials: EmbeddedCredentials, logger: Logger): void {
  const shared = join(dbDir, SHARED_DB_FILE);
  const own = join(dbDir, `${credentials.accessKeyId}_${EMBEDDED_REGION}.db`);
  if (existsSync(shared) && !existsSync(own)) {
    renameSync(shared, own);
    logger.info("moved the embedded store's shared database to its own access key", { dataDir: dbDir });
  }
}

/**
 * DynamoDB Local under supervision: when the JVM dies (a crash, the OOM killer, a kill by pid) it is started
 * again on the same port and data directory, after a delay doubling from `initialMs` up to `maxMs`, until it
 * runs again or `stop()` is called. `health()` says whether it is running.
 */
export class SupervisedDynamoDbLocal {
  private current: DynamoDbLocalServer | undefined;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private lastExit: DynamoDbLocalExit | undefined;
  private wake: (() => void) | undefined;
  /** Successful restarts so far. */
  restarts = 0;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly logger: Logger,
    private readonly backoff: RestartBackoff,
    /** The only key and region served: other requests are refused before they touch the data directory. */
    private readonly credential: { accessKeyId: string; region: string },
  ) {}

  static async start(
    dataDir: string,
    logger: Logger,
    accessKeyId: string,
    backoff: RestartBackoff = DEFAULT_BACKOFF,
  ): Promise<SupervisedDynamoDbLocal> {
    const supervisor = new SupervisedDynamoDbLocal(dataDir, await pickFreePort(), logger, backoff, {
      accessKeyId,
      region: EMBEDDED_REGION,
    });
    const server = await supervisor.launch();
    supervisor.logger.info("started DynamoDB Local", { endpoint: server.endpoint, pid: server.pid, dataDir });
    return supervisor;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The running JVM's pid, or undefined while it is being restarted. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  health(): HealthReport {
    if (this.current !== undefined) return { ok: true };
    if (this.stopping) return { ok: false, reason: "the embedded store is stopping" };
    const how = this.lastExit?.signal ?? `code ${this.lastExit?.code ?? "unknown"}`;
    return { ok: false, reason: `the embedded store is restarting (DynamoDB Local exited with ${how})` };
  }

  private async launch(): Promise<DynamoDbLocalServer> {
    const server = await startDynamoDbLocal({
      dataDir: this.dataDir,
      port: this.port,
      sharedDb: false,
      onlyCredential: this.credential,
    });
    this.current = server;
    void server.exited.then((exit) => this.onExit(server, exit));
    return server;
  }

  private onExit(server: DynamoDbLocalServer, exit: DynamoDbLocalExit): void {
    if (this.current !== server) return;
    this.current = undefined;
    this.lastExit = exit;
    if (this.stopping) return;
    this.logger.error("DynamoDB Local exited unexpectedly; restarting it", {
      pid: server.pid,
      code: exit.code,
      signal: exit.signal,
    });
    this.restarting = this.restartLoop();
  }

  private async restartLoop(): Promise<void> {
    let delay = this.backoff.initialMs;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopping) return;
      try {
        const server = await this.launch();
        this.restarts++;
        this.logger.info("restarted DynamoDB Local", { pid: server.pid, restarts: this.restarts });
        if (this.stopping) await server.stop();
        return;
      } catch (error) {
        this.logger.error("could not restart DynamoDB Local; trying again", { error, retryInMs: delay });
        delay = Math.min(delay * 2, this.backoff.maxMs);
      }
    }
  }

  /** Stops the JVM (and any restart under way). Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.restarting;
    await this.current?.stop();
  }
}

/**
 * The embedded default: DynamoDB Local (Java) on disk under `<dataDir>/dynamodb`, listening on 127.0.0.1 only,
 * without `-sharedDb` and serving only the key the server alone holds (any other key or region is refused
 * before it touches the disk), supervised (restarted when the JVM dies), and stopped by `close()`. Tables are created on first
 * start. Sessions survive restarts, and the production code path runs.
 */
export async function openEmbeddedStore(
  config: ServerConfig,
  logger: Logger,
  backoff?: RestartBackoff,
): Promise<OpenedStore> {
  const firstRun = !existsSync(join(config.dataDir, CREDENTIALS_FILE));
  const credentials = loadOrCreateCredentials(config.dataDir);
  const dbDir = join(config.dataDir, "dynamodb");
  if (firstRun) {
    logger.info(
      `first run: the embedded store keeps its data in ${config.dataDir} (a folder of the directory the ` +
        "command ran in; --data-dir or AGENT_STATE_DATA_DIR choose another, deleting it starts over)",
      { dataDir: config.dataDir },
    );
  }
  let local: SupervisedDynamoDbLocal;
  try {
    mkdirSync(dbDir, { recursive: true, mode: 0o700 });
    adoptSharedDatabase(dbDir, credentials, logger);
    local = await SupervisedDynamoDbLocal.start(dbDir, logger, credentials.accessKeyId, backoff);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the embedded store could not start DynamoDB Local: ${reason} ` +
        "Install Java 17 (e.g. `apt-get install openjdk-17-jre-headless`, or `brew install openjdk@17`), " +
        "or start with `--store memory` (nothing persists) or `--store dynamodb` / `--store redis`.",
      { cause: error },
    );
  }
  const clientConfig: DynamoDBClientConfig = {
    endpoint: local.endpoint,
    region: EMBEDDED_REGION,
    credentials,
  };
  const tables = prefixedTables(undefined);
  // DynamoDB Local acknowledges a transaction before its COMMIT runs; a JVM killed then would lose an
  // acknowledged append. The barrier makes each acknowledged transaction durable (one extra local round trip).
  const client = createDynamoClient(clientConfig);
  awaitLocalCommits(client);
  let store: DynamoStateStore;
  try {
    await ensureTables(clientConfig, tables);
    store = new DynamoStateStore({ client, tables });
  } catch (error) {
    client.destroy();
    await local.stop();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    store,
    kind: "embedded",
    description: `DynamoDB Local on disk at ${dbDir}`,
    embedded: local,
    health: () => local.health(),
    close: () => {
      closing ??= (async () => {
        try {
          await store.close();
          client.destroy();
        } finally {
          const pid = local.pid;
          await local.stop();
          logger.info("stopped DynamoDB Local", { pid });
        }
      })();
      return closing;
    },
  };
}
