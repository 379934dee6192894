import { toolErrorResult, toolJsonResult } from "@agent-state/mcp";
import type { CallToolResult } from "@modelcontextprotocol/server";

/**
 * Runs a tool body and answers with its value as JSON, or with the MCP tool error (carrying the store's
 * error `code`) when it throws.
 */
export async function guarded(body: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  try {
    return toolJsonResult(await body());
  } catch (error) {
    return toolErrorResult(error);
  }
}
