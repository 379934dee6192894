import type { Task } from "tinybench";

/** A finished tinybench task's mean throughput (× `opsPerIteration` when one iteration does several ops). */
export function opsPerSecond(task: Task | undefined, opsPerIteration = 1): number {
  const result = task?.result;
  if (!result || (result.state !== "completed" && result.state !== "aborted-with-statistics")) {
    const cause = result && "error" in result ? result.error : undefined;
    throw new Error(`benchmark task ${task?.name ?? "?"} did not complete`, { cause });
  }
  return result.throughput.mean * opsPerIteration;
}

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** A TCP proxy in front of one server that holds every chunk `delayMs` before passing it on, each way. */
export interface DelayProxy {
  /** The port clients connect to (on 127.0.0.1). */
  port: number;
  /** Milliseconds each chunk waits in each direction; change it at any time (a round trip gains 2×). */
  delayMs: number;
  close(): Promise<void>;
}

// The proxy's relay, run in a worker thread: its socket reads and writes are the network's work, so they must not
// queue behind (or be counted as) the measured client's work on the main thread. Plain CommonJS, evaluated.
const PROXY_WORKER = `
const { createConnection, createServer } = require("node:net");
const { parentPort, workerData } = require("node:worker_threads");
const { performance } = require("node:perf_hooks");
const delay = new Int32Array(workerData.delay);
const sockets = new Set();
// Each direction's chunks wait in order, each until exactly ms after it arrived: a timer wakes the relay up to
// 1.5 ms early (timers fire late by up to about a millisecond, which would add that much noise to every
// chunk) and the rest is polled between the event loop's turns, so other sockets keep flowing meanwhile.
const relay = (from, to) => {
  const queue = [];
  let waking = false;
  const pump = () => {
    waking = false;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end();
      else if (to.writable) to.write(chunk);
    }
    if (queue.length === 0) return;
    waking = true;
    const left = queue[0].due - now;
    if (left > 1.5) setTimeout(pump, left - 1.5);
    else setImmediate(pump);
  };
  const hold = (chunk) => {
    const ms = Atomics.load(delay, 0);
    if (ms <= 0 && queue.length === 0) {
      if (chunk === null) to.end();
      else to.write(chunk);
      return;
    }
    queue.push({ chunk, due: performance.now() + ms });
    if (!waking) pump();
  };
  from.on("data", (chunk) => hold(chunk));
  from.on("end", () => hold(null));
  from.on("error", () => to.destroy());
};
const server = createServer((client) => {
  const upstream = createConnection(workerData.target);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  }
  relay(client, upstream);
  relay(upstream, client);
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", () => {
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
});
`;

/**
 * Starts a delaying proxy to `target` on a free port, in a worker thread of its own. Chunks keep their order
 * and each waits `delayMs` to within a few hundredths of a millisecond (a timer alone fires up to a
 * millisecond late); with `delayMs` 0 they pass through at once.
 */
export async function startDelayProxy(target: { host: string; port: number }): Promise<DelayProxy> {
  const { Worker } = await import("node:worker_threads");
  const delay = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(PROXY_WORKER, { eval: true, workerData: { target, delay: delay.buffer } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", (m: { port: number }) => resolve(m.port));
    worker.once("error", reject);
  });
  return {
    port,
    get delayMs() {
      return Atomics.load(delay, 0);
    },
    set delayMs(ms: number) {
      Atomics.store(delay, 0, Math.round(ms));
    },
    close: () =>
      new Promise<void>((resolve) => {
        worker.once("exit", () => resolve());
        worker.postMessage("close");
      }),
  };
}

/** Least-squares slope and intercept of y against x. */
export function linearFit(points: { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Counts sequential round trips of a DynamoDB client's requests: a request's depth is one more than the
 * deepest request finished before it started (requests sent together share a depth); `measure` gives the
 * deepest depth of what `action` sent. Load on the machine does not change it, unlike a timing.
 */
export function attachRoundTrips(client: {
  middlewareStack: { add(middleware: unknown, options: { step: "initialize"; name: string }): void };
}): { measure(action: () => Promise<unknown>): Promise<number> } {
  let finished = 0;
  let deepest = 0;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      const depth = finished + 1;
      deepest = Math.max(deepest, depth);
      try {
        return await next(args);
      } finally {
        finished = Math.max(finished, depth);
      }
    },
    { step: "initialize", name: "benchRoundTrips" },
  );
  return {
    async measure(action) {
      finished = 0;
      deepest = 0;
      await action();
      return deepest;
    },
  };
}
