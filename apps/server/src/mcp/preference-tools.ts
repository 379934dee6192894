import { type Json, setOwn } from "@agent-state/core";
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { guarded } from "./guarded.js";
import { idSchema, jsonObjectSchema } from "./schemas.js";
import type { ToolScope } from "./session-tools.js";

// Tool definitions are built once: a zod object is costly to build, and servers are built per request.
const PREFERENCES_GET_TOOL = {
  description: "The caller's preferences for an agent, or null.",
  inputSchema: z.object({ agentId: idSchema }),
  annotations: { readOnlyHint: true },
};

const PREFERENCES_PATCH_TOOL = {
  description:
    "Merge values into the caller's preferences for an agent (created if absent); remove lists keys to delete.",
  inputSchema: z.object({
    agentId: idSchema,
    set: jsonObjectSchema.optional().describe("Keys to set"),
    remove: z.array(z.string()).max(1000).optional().describe("Keys to remove"),
  }),
};

/** Registers `preferences_get` and `preferences_patch` for the caller's own preferences per agent. */
export function registerPreferenceTools(server: McpServer, scope: ToolScope): void {
  const { store, userId } = scope;
  server.registerTool("preferences_get", PREFERENCES_GET_TOOL, (args) =>
    guarded(scope, "preferences_get", async () => ({
      preferences: await store.preferences.get(userId, args.agentId),
    })),
  );

  server.registerTool("preferences_patch", PREFERENCES_PATCH_TOOL, (args) =>
    guarded(scope, "preferences_patch", async () => {
      // Own properties only: `changes[key] = …` with key "__proto__" would hit the prototype setter.
      const changes: Record<string, Json | undefined> = { ...(args.set ?? {}) };
      for (const key of args.remove ?? []) setOwn(changes, key, undefined);
      return { preferences: await store.preferences.patch(userId, args.agentId, changes) };
    }),
  );
}
