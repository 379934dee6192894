import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ServerConfig } from "./config.js";
import { createApp } from "./http/app.js";
import { TokenDirectory } from "./http/auth.js";
import type { Logger } from "./logger.js";
import { type OpenedStore, openStore } from "./stores/open-store.js";
import { createObservability, type Observability } from "./telemetry/observability.js";

/** A started server. */
export interface RunningServer {
  /** `http://host:port` the server listens on. */
  url: string;
  port: number;
  /** The admin bearer token (configured, or generated at start). */
  adminToken: string;
  /** The opened store (for tests and embedding). */
  opened: OpenedStore;
  /** The instrumented store, `/metrics` and the cost report. */
  observability: Observability;
  /**
   * Graceful stop: stops accepting connections, lets in-flight requests finish (up to `graceMs`), aborts
   * open MCP streams, closes the store and stops the embedded DynamoDB Local. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_GRACE_MS = 10_000;

/**
 * Opens the configured store (or takes `options.store`) and serves MCP (`/mcp`), the admin API (`/state/*`), the
 * console (`/console`, from `options.consoleDir` or the built one), `/healthz` and
 * `/openapi.json`. Logs one start-up line with the URLs; when no admin token is configured it generates one
 * and logs it once.
 */
export async function startServer(
  config: ServerConfig,
  logger: Logger,
  options: { store?: OpenedStore; consoleDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningServer> {
  const generatedToken = config.adminToken === undefined;
  const adminToken = config.adminToken ?? randomBytes(24).toString("base64url");
  const mcpTokens = new TokenDirectory(config.mcpTokens);
  // `options.store` serves a store the caller opened (embedding); `stop()` still closes it.
  const opened = options.store ?? (await openStore(config, logger));
  let observability: Observability;
  try {
    observability = createObservability(opened.store, { env: options.env ?? process.env });
  } catch (error) {
    await opened.close();
    throw error;
  }

  const app = createApp({
    store: observability.store,
    engineStore: opened.store,
    observability,
    storeKind: opened.kind,
    adminToken,
    mcpTokens,
    localUserId: config.localUserId,
    maxBodyBytes: config.maxBodyBytes,
    maxPageSize: config.maxPageSize,
    logger,
    ...(opened.health === undefined ? {} : { health: opened.health }),
    ...(options.consoleDir === undefined ? {} : { consoleDir: options.consoleDir }),
  });
  // Slow clients: headers and body must arrive within requestTimeoutMs (checked every ~second rather than
  // Node's default 30 s), and connections are capped in total and per remote address, where idle ones make
  // room for new ones (see limitConnectionsPerClient), so neither trickling nor idle connections hold every slot.
  const http = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(config.requestTimeoutMs, 30_000),
      connectionsCheckingInterval: Math.min(1_000, config.requestTimeoutMs),
    },
    app.listener,
  );
  http.maxConnections = config.maxConnections;
  limitConnectionsPerClient(http, config.maxConnectionsPerClient, logger);
  try {
    await listen(http, config.port, config.host);
  } catch (error) {
    await observability.shutdown();
    await opened.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;

  if (mcpTokens.size === 0) {
    logger.warn(
      `no MCP tokens configured: listening on 127.0.0.1 only, every MCP caller acts as user "${config.localUserId}". ` +
        "Set AGENT_STATE_MCP_TOKENS or AGENT_STATE_MCP_TOKENS_FILE to accept other machines.",
    );
  }
  if (generatedToken) {
    logger.info(
      "generated an admin token for this run (shown once; set AGENT_STATE_ADMIN_TOKEN to choose it)",
      {
        adminToken,
      },
    );
  }
  logger.info(
    `agent-state listening on ${url} (bound ${config.host}): MCP ${url}/mcp, admin API ${url}/state, ` +
      `console ${url}/console, OpenAPI ${url}/openapi.json, health ${url}/healthz; store: ${opened.kind}, ${opened.description}`,
    {
      event: "ready",
      url,
      port,
      mcpUrl: `${url}/mcp`,
      adminUrl: `${url}/state`,
      consoleUrl: `${url}/console`,
      store: opened.kind,
    },
  );

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = DEFAULT_GRACE_MS) => {
    stopping ??= (async () => {
      logger.info("shutting down: no new connections, finishing in-flight requests", {
        inFlight: app.inFlight,
      });
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (app.inFlight > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        http.closeIdleConnections();
      }
      // Whatever is still open now is a long-lived stream or over the grace period.
      await app.close();
      http.closeAllConnections();
      await closed;
      await opened.close();
      await observability.shutdown();
      logger.info("stopped");
    })();
    return stopping;
  };

  return { url, port, adminToken, opened, observability, stop };
}

/**
 * Caps the connections one remote address holds at `max`. When a new connection would go over the cap, the
 * address's oldest idle connection (no request in progress: nothing or only part of the headers received yet,
 * or keep-alive between requests; a request is in progress until answered and its body received) is closed to make room; only when every one of them is serving a request is
 * the newcomer refused. Idle, header-less connections therefore cannot lock out real requests from the same
 * address (behind a proxy every client shares one), which a plain cap on all connections would let them do until
 * the header deadline. This is what event-driven servers do under connection pressure (Apache's event MPM
 * closes keep-alive connections first; Node's `closeIdleConnections` exists for the same reason): an idle
 * connection costs the client nothing to reopen, a busy one would lose a request.
 */
function limitConnectionsPerClient(server: Server, max: number, logger: Logger): void {
  // Per address, its open sockets in connection order (oldest first); per socket, its requests in progress.
  const open = new Map<string, Set<Socket>>();
  const inProgress = new Map<Socket, number>();
  let refused = 0;
  let evicted = 0;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
    // In progress until answered and its body fully received (a trickled body is cut by the request deadline).
    let pending = 2;
    const done = () => {
      if (--pending > 0) return;
      const left = (inProgress.get(socket) ?? 1) - 1;
      if (left === 0) inProgress.delete(socket);
      else inProgress.set(socket, left);
    };
    res.once("close", done);
    req.once("close", done);
  });
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    let sockets = open.get(address);
    if (sockets !== undefined && sockets.size >= max) {
      const idle = oldestIdle(sockets, inProgress);
      if (idle === undefined) {
        refused++;
        // One log line per 100 refusals: a flood must not flood the log too.
        if (refused % 100 === 1)
          logger.warn("refused connections over the per-client limit (all busy)", { max, refused });
        socket.destroy();
        return;
      }
      evicted++;
      if (evicted % 100 === 1)
        logger.warn("closed idle connections to admit new ones over the per-client limit", { max, evicted });
      sockets.delete(idle);
      idle.destroy();
    }
    if (sockets === undefined) {
      sockets = new Set();
      open.set(address, sockets);
    }
    sockets.add(socket);
    socket.once("close", () => {
      const own = open.get(address);
      own?.delete(socket);
      if (own?.size === 0) open.delete(address);
      inProgress.delete(socket);
    });
  });
}

function oldestIdle(sockets: Set<Socket>, inProgress: Map<Socket, number>): Socket | undefined {
  for (const socket of sockets) if (!inProgress.has(socket)) return socket;
  return undefined;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
