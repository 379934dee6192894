import { toolJsonResult } from "@agent-state/mcp";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { ToolScope } from "./session-tools.js";

/**
 * Runs a tool body and answers with its value as JSON, or with the scope's tool error (logged, carrying the
 * store's error `code` and a plain message) when it throws.
 */
export async function guarded(
  scope: Pick<ToolScope, "fail">,
  toolName: string,
  body: () => Promise<Record<string, unknown>>,
): Promise<CallToolResult> {
  try {
    return toolJsonResult(await body());
  } catch (error) {
    return scope.fail(error, toolName);
  }
}
