import { type Json, LIMITS } from "@agent-state/core";
import { z } from "zod";

const MAX_JSON_DEPTH = 64;

/**
 * A copy of `value` if it is JSON (null, booleans, finite numbers, strings, arrays, plain objects), keeping
 * every own key, `__proto__` included (defined as a plain property, never set as a prototype); otherwise the
 * path of the first offending part.
 */
function copyJson(
  value: unknown,
  path: string,
  depth: number,
): { ok: true; value: Json } | { ok: false; path: string } {
  if (value === null || typeof value === "string" || typeof value === "boolean") return { ok: true, value };
  if (typeof value === "number") return Number.isFinite(value) ? { ok: true, value } : { ok: false, path };
  if (typeof value !== "object" || depth > MAX_JSON_DEPTH) return { ok: false, path };
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = copyJson(value[i], `${path}[${i}]`, depth + 1);
      if (!item.ok) return item;
      out.push(item.value);
    }
    return { ok: true, value: out };
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return { ok: false, path };
  const out: Record<string, Json> = {};
  for (const key of Object.keys(value)) {
    const item = copyJson((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (!item.ok) return item;
    Object.defineProperty(out, key, {
      value: item.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ok: true, value: out };
}

/**
 * A JSON value (`objectOnly`: a JSON object) checked and copied key for key. zod's own `z.json()` and
 * `z.record()` rebuild objects by assignment, which silently drops a `__proto__` key; this keeps it.
 * Published to clients as the JSON Schema given.
 */
function jsonSchemaKeepingKeys<T extends Json>(objectOnly: boolean, published: Record<string, unknown>) {
  return z
    .unknown()
    .transform((value, ctx): T => {
      const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
      const copied = objectOnly && !isObject ? { ok: false as const, path: "" } : copyJson(value, "", 0);
      if (!copied.ok) {
        ctx.addIssue({
          code: "custom",
          message: `${objectOnly ? "must be a JSON object" : "must be JSON"}${copied.path === "" ? "" : ` (at ${copied.path.replace(/^\./, "")})`}`,
        });
        return z.NEVER;
      }
      return copied.value as T;
    })
    .meta(published);
}

/** Zod schemas shared by the server's MCP tools; the SDK publishes them to clients as JSON Schema. */
export const idSchema = z.string().min(1).max(LIMITS.maxIdLength);
export const sessionIdSchema = idSchema.describe("A session id");
export const jsonObjectSchema = jsonSchemaKeepingKeys<Record<string, Json>>(true, {
  type: "object",
  additionalProperties: {},
});
/** Any JSON value, keeping `__proto__` keys (see `jsonObjectSchema`). */
export const jsonValueSchema = jsonSchemaKeepingKeys<Json>(false, {});
export const toolNameSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxToolNameLength)
  .describe("The cached tool's name");
export const ttlSecondsSchema = z.number().int().positive().max(LIMITS.maxTtlSeconds);
export const cursorSchema = z.string().min(1).max(8192).describe("The cursor of the previous page");

/** A page size; larger values than the server's cap are capped, not rejected. */
export const limitSchema = z
  .number()
  .int()
  .positive()
  .max(LIMITS.maxPageSize)
  .describe("Page size (capped by the server)");

export const messageInputSchema = z.object({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string(),
  metadata: jsonObjectSchema.optional(),
});
