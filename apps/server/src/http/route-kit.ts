import type { StateStore } from "@agent-state/core";
import { ValidationError } from "@agent-state/core";
import type { ThreadInspector } from "@agent-state/langgraph";
import type { HealthReport } from "../stores/open-store.js";
import { HttpError } from "./respond.js";

export interface AdminContext {
  store: StateStore;
  /** The store as opened, under the server's decorators (telemetry): where region information is read. */
  engineStore: StateStore;
  maxPageSize: number;
  /** The store's kind (`embedded`, `memory`, …) for the overview. */
  storeKind: string;
  /** Whether the store answers now (what `/healthz` reports). */
  checkHealth: () => Promise<HealthReport>;
  /** Reads LangGraph threads an `AgentStateSaver` (default options) keeps in the store. */
  threads: () => ThreadInspector;
}

/** A route's handler: path parameters (decoded), the query, and the request's JSON body (PUT/POST). */
export type Handler = (
  ctx: AdminContext,
  params: string[],
  query: URLSearchParams,
  body: () => Promise<unknown>,
) => Promise<{ status?: number; body: unknown }>;

export interface Route {
  method: "GET" | "DELETE" | "PUT" | "POST";
  pattern: RegExp;
  handler: Handler;
}

// Path segments are matched raw and percent-decoded afterwards, so an id may contain an encoded "/".
export const SEGMENT = "([^/]+)";

/** A `limit`-style query parameter: a whole number ≥ 1, capped at `max`; undefined when absent. */
export function optionalLimit(query: URLSearchParams, name: string, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new HttpError("VALIDATION", `${name}: must be a whole number ≥ 1`);
  }
  return Math.min(value, max);
}

/** The value when it is a plain JSON object, else `VALIDATION`. */
export function jsonObject(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ValidationError(field, "must be a JSON object");
  return value as Record<string, unknown>;
}
