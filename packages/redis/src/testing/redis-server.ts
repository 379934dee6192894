import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePort } from "./ports.js";

const STOP_GRACE_MS = 5000;

const INSTALL_HINT =
  "redis-server was not found on PATH. Install it: `apt-get update && apt-get install -y redis-server` " +
  "(Debian/Ubuntu; it does not need to run as a service), or `brew install redis` on macOS.";

export interface RedisServerOptions {
  /** Port to listen on; default: a free one picked at run time. */
  port?: number;
  /** Working directory (AOF and cluster config live here); default: a new temp directory. */
  dir?: string;
  /** Turn on the append-only file with fsync on every write, so every acknowledged write survives a kill. */
  appendOnly?: boolean;
  /** Start as a Redis Cluster node. */
  clusterEnabled?: boolean;
}

/** A redis-server this process started. */
export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** The pid of the current process (it changes after `start()`). */
  readonly pid: number;
  /** Stops it by pid (SIGTERM, or SIGKILL with `{ kill: true }`), leaving `dir` in place for a restart. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and directory (after `stop`). */
  start(): Promise<void>;
  /** Stops it and removes the temp directory it made. */
  destroy(): Promise<void>;
}

/** Runs a command of redis-cli against a port; resolves with its output. */
export function redisCli(port: number, args: string[], host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "redis-cli",
      ["-h", host, "-p", String(port), ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`redis-cli ${args.join(" ")}: ${stderr || error.message}`, { cause: error }));
        else resolve(stdout);
      },
    );
  });
}

async function waitUntil(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts `redis-server` on 127.0.0.1 with no RDB snapshots and waits until it answers PING.
 * Fails with install instructions when redis-server is missing (never skips).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const host = "127.0.0.1";
  const port = options.port ?? (await findFreePort(host));
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "agent-state-redis-"));
  let child: ChildProcess | null = null;
  // If this process exits without stopping the server (a failed hook, an uncaught error), stop it anyway.
  const killOnExit = () => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  };

  const args = ["--port", String(port), "--bind", host, "--save", "", "--dir", dir, "--protected-mode", "no"];
  args.push("--appendonly", options.appendOnly ? "yes" : "no");
  if (options.appendOnly) args.push("--appendfsync", "always");
  if (options.clusterEnabled) {
    args.push("--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`);
    args.push("--cluster-node-timeout", "5000");
  }

  const start = async (): Promise<void> => {
    const proc = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    process.on("exit", killOnExit);
    let output = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    const failed = new Promise<never>((_, reject) => {
      proc.once("error", (error: NodeJS.ErrnoException) => {
        reject(error.code === "ENOENT" ? new Error(INSTALL_HINT, { cause: error }) : error);
      });
      proc.once("exit", (code) =>
        reject(new Error(`redis-server on port ${port} exited (${code}): ${output}`)),
      );
    });
    failed.catch(() => {}); // observed below; this only avoids an unhandled rejection after startup
    await Promise.race([
      failed,
      waitUntil(
        async () => (await redisCli(port, ["ping"], host)).includes("PONG"),
        `redis-server on port ${port}`,
      ),
    ]);
  };

  const stop = async (opts?: { kill?: boolean }): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    process.kill(proc.pid, opts?.kill ? "SIGKILL" : "SIGTERM");
    // A server stuck in a script ignores SIGTERM; don't leave it running.
    const pid = proc.pid;
    const escalate = setTimeout(() => process.kill(pid, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(escalate);
    process.off("exit", killOnExit);
  };

  try {
    await start();
  } catch (error) {
    await stop({ kill: true });
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    port,
    dir,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    start,
    async destroy() {
      await stop();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
