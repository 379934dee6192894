import type { IncomingMessage, ServerResponse } from "node:http";
import { SessionNotFoundError, type StateStore, validateId, validateToolName } from "@agent-state/core";
import { HttpError, sendJson } from "./respond.js";

export interface AdminContext {
  store: StateStore;
  maxPageSize: number;
}

type Handler = (
  ctx: AdminContext,
  params: string[],
  query: URLSearchParams,
) => Promise<{ status?: number; body: unknown }>;

interface Route {
  method: "GET" | "DELETE";
  pattern: RegExp;
  handler: Handler;
}

// Path segments are matched raw and percent-decoded afterwards, so an id may contain an encoded "/".
const SEGMENT = "([^/]+)";

const ROUTES: Route[] = [
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
    pattern: new RegExp(`^/state/cache/${SEGMENT}$`),
    handler: async ({ store }, [name]) => {
      const toolName = validateToolName(name);
      await store.toolCache.invalidate(toolName);
      return { body: { toolName, invalidated: true } };
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
    const { status, body } = await route.handler(ctx, params, url.searchParams);
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

/** A `limit`-style query parameter: a whole number ≥ 1, capped at `max`; undefined when absent. */
function optionalLimit(query: URLSearchParams, name: string, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new HttpError("VALIDATION", `${name}: must be a whole number ≥ 1`);
  }
  return Math.min(value, max);
}
