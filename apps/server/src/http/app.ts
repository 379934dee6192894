import type { IncomingMessage, ServerResponse } from "node:http";
import type { StateStore } from "@agent-state/core";
import { ThreadInspector } from "@agent-state/langgraph";
import {
  localhostHostValidation,
  type NodeIncomingMessageLike,
  toNodeHandler,
} from "@modelcontextprotocol/node";
import { type AuthInfo, createMcpHandler } from "@modelcontextprotocol/server";
import { context, propagation } from "@opentelemetry/api";
import type { Logger } from "../logger.js";
import { createAgentStateMcpServerFactory, SERVER_VERSION } from "../mcp/create-mcp-server.js";
import { isServerSideFailure, publicStoreError } from "../public-error.js";
import type { HealthReport } from "../stores/open-store.js";
import { handleAdminRequest } from "./admin-routes.js";
import { bearerToken, secretsEqual, type TokenDirectory } from "./auth.js";
import { defaultConsoleDir, loadConsoleAssets } from "./console-assets.js";
import { openApiDocument } from "./openapi.js";
import { HttpError, sendError, sendJson } from "./respond.js";

export interface AppOptions {
  store: StateStore;
  /** The store as opened, when `store` decorates it (telemetry): region information is read from it. */
  engineStore?: StateStore;
  storeKind: string;
  adminToken: string;
  /** MCP tokens; empty means every MCP caller is `localUserId` (and the server listens on loopback only). */
  mcpTokens: TokenDirectory;
  localUserId: string;
  maxBodyBytes: number;
  maxPageSize: number;
  logger: Logger;
  /** What the store's opener knows (the embedded JVM restarting); `/healthz` then asks the store itself. */
  health?: () => HealthReport;
  /** Where the built console is (`index.html`, `app.js`, `app.css`); default: next to the bundle, or `dist/console`. */
  consoleDir?: string;
  /** `GET /metrics` (Prometheus text) and `GET /state/cost` (JSON), behind the admin token. */
  observability?: { metricsText(): Promise<string>; costReport(): unknown };
}

/** How long `/healthz` waits for the store's answer. */
const HEALTH_PROBE_TIMEOUT_MS = 3_000;
/** The session id `/healthz` reads: a cheap read that reaches the backend (MCP ids are namespaced, never this). */
const HEALTH_PROBE_SESSION_ID = "healthz-probe";

/** The HTTP face of the server: `/mcp`, `/state/*` (admin), `/console`, `/healthz`, `/openapi.json`. */
export interface App {
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Requests being served right now. */
  readonly inFlight: number;
  /** Aborts in-flight MCP exchanges (open streams); call after the HTTP server stopped accepting. */
  close(): Promise<void>;
}

export function createApp(options: AppOptions): App {
  const { store, logger } = options;
  const serverFor = createAgentStateMcpServerFactory(store, { maxPageSize: options.maxPageSize, logger });
  const mcpHandler = createMcpHandler((ctx) => serverFor(userOf(ctx.authInfo)), {
    maxRequestBodySize: options.maxBodyBytes,
    onerror: (error) => logger.warn("mcp error", { error }),
  });
  const mcpNode = toNodeHandler(mcpHandler, {
    maxRequestBodySize: options.maxBodyBytes,
    onerror: (error) => logger.error("mcp handler failed", { error }),
  });
  const validateLocalHost = localhostHostValidation();
  const openApi = JSON.stringify(openApiDocument(SERVER_VERSION));
  const consoleAssets = loadConsoleAssets(options.consoleDir ?? defaultConsoleDir());
  let inspector: ThreadInspector | undefined;
  const threads = () => {
    inspector ??= new ThreadInspector(store);
    return inspector;
  };
  let inFlight = 0;

  const checkHealth = async (): Promise<HealthReport> => {
    const known = options.health?.();
    if (known !== undefined && !known.ok) return known;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), HEALTH_PROBE_TIMEOUT_MS);
    });
    try {
      const answer = await Promise.race([store.sessions.get(HEALTH_PROBE_SESSION_ID), timeout]);
      if (answer === "timeout") return { ok: false, reason: "the store did not answer in time" };
      return { ok: true };
    } catch (error) {
      logger.warn("health check: the store failed", { error });
      return { ok: false, reason: `the store cannot answer (${publicStoreError(error).code})` };
    } finally {
      clearTimeout(timer);
    }
  };

  const serveMcp = async (req: IncomingMessage, res: ServerResponse) => {
    let userId: string;
    let token = "";
    if (options.mcpTokens.size === 0) {
      // Loopback-only mode: refuse requests naming another host (DNS rebinding from a browser page).
      if (!validateLocalHost(req, res)) return;
      userId = options.localUserId;
    } else {
      token = bearerToken(req) ?? "";
      const found = options.mcpTokens.userFor(token);
      if (found === undefined) throw new HttpError("UNAUTHORIZED", "missing or unknown MCP bearer token");
      userId = found;
    }
    const auth: AuthInfo = { token, clientId: userId, scopes: [], extra: { userId } };
    // A caller's W3C `traceparent` parents the tool-call spans (and through them the store spans).
    const traced = propagation.extract(context.active(), req.headers);
    // IncomingMessage fits the adapter's structural type except for exactOptionalPropertyTypes on `method`.
    await context.with(traced, () =>
      mcpNode(Object.assign(req, { auth }) as unknown as NodeIncomingMessageLike, res),
    );
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const declaredLength = Number(req.headers["content-length"] ?? 0);
    if (declaredLength > options.maxBodyBytes) {
      throw new HttpError("PAYLOAD_TOO_LARGE", `request body over ${options.maxBodyBytes} bytes`);
    }
    if (url.pathname === "/mcp") return serveMcp(req, res);
    // Admin and meta routes read a body only for PUT/POST; the rest is discarded. A chunked body past the
    // limit is cut off.
    const keepBody = (req.method === "PUT" || req.method === "POST") && url.pathname.startsWith("/state/");
    const body = collectBody(req, options.maxBodyBytes, keepBody);
    body.catch(() => undefined); // a GET's oversized body is only cut off, never awaited
    // HEAD is answered wherever GET is: the same status and headers, and Node sends no body for it.
    const method = req.method === "HEAD" ? "GET" : req.method;
    if (url.pathname === "/healthz" && method === "GET") {
      const report = await checkHealth();
      return report.ok
        ? sendJson(res, 200, { status: "ok", store: options.storeKind })
        : sendJson(res, 503, { status: "unavailable", store: options.storeKind, reason: report.reason });
    }
    if (url.pathname === "/openapi.json" && method === "GET") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(openApi);
      return;
    }
    const observability = options.observability;
    if (url.pathname === "/metrics" && observability !== undefined) {
      requireAdmin(req, options.adminToken);
      if (method !== "GET")
        throw new HttpError("METHOD_NOT_ALLOWED", `${req.method} is not allowed on /metrics`);
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(await observability.metricsText());
      return;
    }
    if (url.pathname === "/state" || url.pathname.startsWith("/state/")) {
      requireAdmin(req, options.adminToken);
      if (url.pathname === "/state/cost" && method === "GET" && observability !== undefined) {
        return sendJson(res, 200, observability.costReport());
      }
      const context = {
        store,
        engineStore: options.engineStore ?? store,
        maxPageSize: options.maxPageSize,
        storeKind: options.storeKind,
        checkHealth,
        threads,
      };
      return handleAdminRequest(context, req, res, url, () => parseJsonBody(body));
    }
    if (method === "GET" && consoleAssets.serve(url.pathname, res)) return;
    throw new HttpError("ROUTE_NOT_FOUND", `no route ${req.method} ${url.pathname}`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    const url = parseRequestTarget(req.url ?? "");
    const path = url?.pathname ?? "(unroutable)";
    res.once("close", () => {
      inFlight--;
      logger.info("request", { method: req.method, path, status: res.statusCode });
    });
    const served =
      url === null
        ? Promise.reject(new HttpError("ROUTE_NOT_FOUND", "no route: paths are matched exactly as sent"))
        : route(req, res, url);
    served.catch((error: unknown) => {
      if (!(error instanceof HttpError) && isServerSideFailure(error))
        logger.error("request failed", { error, path, code: publicStoreError(error).code });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, error);
    });
  };

  return {
    listener,
    get inFlight() {
      return inFlight;
    },
    close: () => mcpHandler.close(),
  };
}

/**
 * The request's URL, or null when parsing would change its path: a doubled slash (`//x/state/stats` would
 * otherwise become host `x`, path `/state/stats`), dot segments (also percent-encoded), backslashes. A proxy in
 * front routes and authorises the path as sent, so the server must not route a normalised one.
 */
function parseRequestTarget(target: string): URL | null {
  const queryAt = target.indexOf("?");
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  if (!rawPath.startsWith("/") || rawPath.startsWith("//")) return null;
  let url: URL;
  try {
    url = new URL(target, "http://localhost");
  } catch {
    return null;
  }
  return url.pathname === rawPath ? url : null;
}

function requireAdmin(req: IncomingMessage, adminToken: string): void {
  const token = bearerToken(req);
  if (token === undefined || !secretsEqual(token, adminToken)) {
    throw new HttpError("UNAUTHORIZED", "missing or wrong admin bearer token");
  }
}

function userOf(authInfo: AuthInfo | undefined): string {
  const userId = authInfo?.extra?.userId;
  // The HTTP layer authenticates every /mcp request before the factory runs; reaching here without is a bug.
  if (typeof userId !== "string") throw new Error("MCP request without an authenticated user");
  return userId;
}

/**
 * The request's body once it has all arrived (empty unless `keep`: other bodies are counted and dropped, not
 * held in memory). Past `maxBytes` the connection is destroyed.
 */
function collectBody(req: IncomingMessage, maxBytes: number, keep: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        req.destroy();
        reject(new HttpError("PAYLOAD_TOO_LARGE", `request body over ${maxBytes} bytes`));
        return;
      }
      if (keep) chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The body as JSON (undefined when empty); malformed JSON is `VALIDATION`. */
async function parseJsonBody(body: Promise<Buffer>): Promise<unknown> {
  const bytes = await body;
  if (bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    throw new HttpError("VALIDATION", "body: not valid JSON");
  }
}
