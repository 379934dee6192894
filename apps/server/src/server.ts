import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
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
 * Opens the configured store (or takes `options.store`) and serves MCP (`/mcp`), the admin API (`/state/*`), `/healthz` and
 * `/openapi.json`. Logs one start-up line with the URLs; when no admin token is configured it generates one
 * and logs it once.
 */
export async function startServer(
  config: ServerConfig,
  logger: Logger,
  options: { store?: OpenedStore; env?: NodeJS.ProcessEnv } = {},
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
    observability,
    storeKind: opened.kind,
    adminToken,
    mcpTokens,
    localUserId: config.localUserId,
    maxBodyBytes: config.maxBodyBytes,
    maxPageSize: config.maxPageSize,
    logger,
    ...(opened.health === undefined ? {} : { health: opened.health }),
  });
  // Slow clients: headers and body must arrive within requestTimeoutMs (checked every ~second rather than
  // Node's default 30 s), and connections are capped in total and per remote address, so trickling
  // connections cannot hold every slot.
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
      `OpenAPI ${url}/openapi.json, health ${url}/healthz; store: ${opened.kind}, ${opened.description}`,
    { event: "ready", url, port, mcpUrl: `${url}/mcp`, adminUrl: `${url}/state`, store: opened.kind },
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

/** Closes a new connection at once when its remote address already holds `max` open connections. */
function limitConnectionsPerClient(server: Server, max: number, logger: Logger): void {
  const open = new Map<string, number>();
  let refused = 0;
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const count = open.get(address) ?? 0;
    if (count >= max) {
      refused++;
      // One log line per 100 refusals: a flood must not flood the log too.
      if (refused % 100 === 1) logger.warn("refused connections over the per-client limit", { max, refused });
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
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
