import { LIMITS } from "@agent-state/core";
import { z } from "zod";

/** Zod schemas shared by the server's MCP tools; the SDK publishes them to clients as JSON Schema. */
export const idSchema = z.string().min(1).max(LIMITS.maxIdLength);
export const sessionIdSchema = idSchema.describe("A session id");
export const jsonObjectSchema = z.record(z.string(), z.json());
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
