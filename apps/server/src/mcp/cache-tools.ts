import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { userCacheToolName } from "./cache-scope.js";
import { guarded } from "./guarded.js";
import { jsonObjectSchema, jsonValueSchema, toolNameSchema, ttlSecondsSchema } from "./schemas.js";
import type { ToolScope } from "./session-tools.js";

// Tool definitions are built once: a zod object is costly to build, and servers are built per request.
const CACHE_GET_TOOL = {
  description: "Read a cached tool result (counting the hit); null when absent or expired.",
  inputSchema: z.object({ toolName: toolNameSchema, params: jsonObjectSchema }),
};

const CACHE_SET_TOOL = {
  description: "Store a tool result for these parameters (key order ignored) for ttlSeconds.",
  inputSchema: z.object({
    toolName: toolNameSchema,
    params: jsonObjectSchema,
    value: jsonValueSchema,
    ttlSeconds: ttlSecondsSchema,
  }),
};

const CACHE_INVALIDATE_TOOL = {
  description: "Remove one cached result (with params) or every cached result of the tool (without).",
  inputSchema: z.object({ toolName: toolNameSchema, params: jsonObjectSchema.optional() }),
  annotations: { destructiveHint: true, idempotentHint: true },
};

/** Registers `cache_get`, `cache_set`, `cache_invalidate` on the caller's own tool-cache namespace. */
export function registerCacheTools(server: McpServer, scope: ToolScope): void {
  const { store, userId } = scope;
  server.registerTool("cache_get", CACHE_GET_TOOL, (args) =>
    guarded(scope, "cache_get", async () => ({
      entry: await store.toolCache.get(userCacheToolName(userId, args.toolName), args.params),
    })),
  );

  server.registerTool("cache_set", CACHE_SET_TOOL, (args) =>
    guarded(scope, "cache_set", async () => {
      await store.toolCache.set(userCacheToolName(userId, args.toolName), args.params, args.value, {
        ttlSeconds: args.ttlSeconds,
      });
      return { stored: true };
    }),
  );

  server.registerTool("cache_invalidate", CACHE_INVALIDATE_TOOL, (args) =>
    guarded(scope, "cache_invalidate", async () => {
      await store.toolCache.invalidate(userCacheToolName(userId, args.toolName), args.params);
      return { invalidated: true };
    }),
  );
}
