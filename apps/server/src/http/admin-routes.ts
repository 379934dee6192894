import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type Json,
  SessionNotFoundError,
  type StateStore,
  validateId,
  validateToolName,
} from "@agent-state/core";
import { userCacheToolName } from "../mcp/cache-scope.js";
import { HttpError, sendJson } from "./respond.js";
import { type AdminContext, jsonObject, optionalLimit, type Route, SEGMENT } from "./route-kit.js";
import { THREAD_ROUTES } from "./thread-routes.js";

const ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/state\/overview$/,
    handler: async ({ store, engineStore, storeKind, checkHealth }) => {
      const [health, stats] = await Promise.all([checkHealth(), store.stats().catch(() => null)]);
      return { body: { store: storeKind, health, stats, ...regionsOf(engineStore) } };
    },
  },
  {
    method: "GET",
    pattern: /^\/state\/stats$/,
    handler: async ({ store }) => ({ body: await store.stats() }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/sessions/${SEGMENT}$`),
    handler: async ({ store, maxPageSize }, [id], query) => {
      const sessionId = validateId("sessionId", id);
      const recent = optionalLimit(query, "recentMessages", maxPageSize);
      const session = await store.sessions.get(
        sessionId,
        recent === undefined ? undefined : { recentMessages: recent },
      );
      if (!session) throw new SessionNotFoundError(sessionId);
      return { body: session };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/sessions/${SEGMENT}/conversation$`),
    handler: async ({ store, maxPageSize }, [id], query) => {
      const sessionId = validateId("sessionId", id);
      const order = query.get("order");
      if (order !== null && order !== "asc" && order !== "desc")
        throw new HttpError("VALIDATION", 'order: must be "asc" or "desc"');
      const cursor = query.get("cursor");
      const page = await store.sessions.messages(sessionId, {
        limit: optionalLimit(query, "limit", maxPageSize) ?? maxPageSize,
        ...(cursor === null ? {} : { cursor }),
        ...(order === null ? {} : { order }),
      });
      return { body: { sessionId, messages: page.items, cursor: page.cursor } };
    },
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/state/sessions/${SEGMENT}$`),
    handler: async ({ store }, [id]) => {
      const sessionId = validateId("sessionId", id);
      if (!(await store.sessions.delete(sessionId))) throw new SessionNotFoundError(sessionId);
      return { body: { sessionId, deleted: true } };
    },
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/state/sessions/${SEGMENT}/messages$`),
    handler: async ({ store }, [id], query) => {
      const sessionId = validateId("sessionId", id);
      const after = query.get("after");
      if (after === null) throw new HttpError("VALIDATION", "after: the id of the message to keep last");
      const removed = await store.sessions.truncate(sessionId, { afterMessageId: after });
      return { body: { sessionId, removed: removed.length } };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/cache/${SEGMENT}$`),
    handler: async ({ store }, [name], query) => {
      const toolName = cacheToolName(name, query);
      const params = cacheParams(query, true) as Record<string, Json>;
      const entry = await store.toolCache.get(toolName, params);
      if (!entry) throw new HttpError("NOT_FOUND", "no live cache entry for these parameters");
      return { body: { toolName, params, ...entry } };
    },
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/state/cache/${SEGMENT}$`),
    handler: async ({ store }, [name], query) => {
      const toolName = cacheToolName(name, query);
      const params = cacheParams(query, false);
      await store.toolCache.invalidate(toolName, params);
      return { body: { toolName, invalidated: true, ...(params === undefined ? {} : { params }) } };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/users/${SEGMENT}/preferences/${SEGMENT}$`),
    handler: async ({ store }, [user, agent]) => {
      const userId = validateId("userId", user);
      const agentId = validateId("agentId", agent);
      const found = await store.preferences.get(userId, agentId);
      if (!found) throw new HttpError("NOT_FOUND", "no preferences for this user and agent");
      return { body: found };
    },
  },
  {
    method: "PUT",
    pattern: new RegExp(`^/state/users/${SEGMENT}/preferences/${SEGMENT}$`),
    handler: async ({ store }, [user, agent], _query, body) => {
      const userId = validateId("userId", user);
      const agentId = validateId("agentId", agent);
      const { values } = jsonObject(await body(), "body") as { values?: unknown };
      return {
        body: await store.preferences.set(
          userId,
          agentId,
          jsonObject(values, "values") as Record<string, Json>,
        ),
      };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/users/${SEGMENT}/sessions$`),
    handler: async ({ store, maxPageSize }, [id], query) => {
      const userId = validateId("userId", id);
      const cursor = query.get("cursor");
      const page = await store.sessions.listByUser(userId, {
        limit: optionalLimit(query, "limit", maxPageSize) ?? maxPageSize,
        ...(cursor === null ? {} : { cursor }),
      });
      return { body: { userId, sessions: page.items, cursor: page.cursor } };
    },
  },
  ...THREAD_ROUTES,
];

/**
 * Serves one admin request (already authenticated) under `/state/`. Answers 404 `ROUTE_NOT_FOUND` for unknown
 * paths and 405 for a known path with another method (HEAD is answered wherever GET is); store errors map to their status in `respond.ts`.
 */
export async function handleAdminRequest(
  ctx: AdminContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  readBody: () => Promise<unknown>,
): Promise<void> {
  let pathMatched = false;
  // HEAD runs the GET route; Node sends its status and headers without the body.
  const method = req.method === "HEAD" ? "GET" : req.method;
  for (const route of ROUTES) {
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params = match.slice(1).map(decodeSegment);
    const { status, body } = await route.handler(ctx, params, url.searchParams, readBody);
    sendJson(res, status ?? 200, body);
    return;
  }
  if (pathMatched)
    throw new HttpError("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}`);
  throw new HttpError("ROUTE_NOT_FOUND", `no route ${req.method} ${url.pathname}`);
}

function decodeSegment(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? "");
  } catch {
    throw new HttpError("VALIDATION", "path: malformed percent-encoding");
  }
}

/** The tool name of a cache route; with `?user=`, that user's MCP namespace of it (as `cache_set` stores it). */
function cacheToolName(name: string | undefined, query: URLSearchParams): string {
  const toolName = validateToolName(name);
  const user = query.get("user");
  return user === null || user === "" ? toolName : userCacheToolName(validateId("user", user), toolName);
}

/** `?params=<JSON object>`: the parameters of one cache entry. */
function cacheParams(query: URLSearchParams, required: boolean): Record<string, Json> | undefined {
  const raw = query.get("params");
  if (raw === null) {
    if (required)
      throw new HttpError("VALIDATION", "params: required, a JSON object of the tool's parameters");
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError("VALIDATION", "params: not valid JSON");
  }
  return jsonObject(parsed, "params") as Record<string, Json>;
}

/** The region the store works in and, for a multi-region store, each region's health. */
function regionsOf(store: StateStore): {
  region: string | null;
  regions: { region: string; up: boolean }[] | null;
} {
  const s = store as { currentRegion?: unknown; regionStatus?: unknown };
  const region = typeof s.currentRegion === "string" ? s.currentRegion : null;
  const regions =
    typeof s.regionStatus === "function"
      ? ((s.regionStatus as () => { region: string; up: boolean }[] | null).call(store) ?? null)
      : null;
  return { region, regions };
}
