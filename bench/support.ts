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

/**
 * Starts a delaying proxy to `target` on a free port. Chunks keep their order (timers of one duration fire
 * in the order they were set); with `delayMs` 0 they pass through at once.
 */
export async function startDelayProxy(target: { host: string; port: number }): Promise<DelayProxy> {
  const { createConnection, createServer } = await import("node:net");
  const sockets = new Set<import("node:net").Socket>();
  const proxy: DelayProxy = { port: 0, delayMs: 0, close: async () => undefined };
  const relay = (from: import("node:net").Socket, to: import("node:net").Socket) => {
    from.on("data", (chunk) => {
      const delay = proxy.delayMs;
      if (delay <= 0) to.write(chunk);
      else setTimeout(() => to.writable && to.write(chunk), delay);
    });
    from.on("end", () => setTimeout(() => to.end(), proxy.delayMs));
    from.on("error", () => to.destroy());
  };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as import("node:net").AddressInfo).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
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
