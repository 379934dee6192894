import { isStateStoreError } from "@agent-state/core";
import type { CallToolResult } from "@modelcontextprotocol/server";

/** The `code` a tool error carries when the tool itself (not the store) failed. */
export const TOOL_FAILED = "TOOL_FAILED";

/** The body of every error result: `{ error: { code, message } }`, also the shape of the admin API's errors. */
export interface ToolErrorBody {
  error: { code: string; message: string };
}

/**
 * Turns a thrown error into an MCP tool error result (`isError: true`). A state-store error keeps its stable
 * `code` (`NOT_FOUND`, `VERSION_CONFLICT`, …); anything else is reported as `TOOL_FAILED`. The body is in
 * both `structuredContent` and the text content, so clients that only read text can still match on `code`.
 */
export function toolErrorResult(error: unknown): CallToolResult {
  const body = toolErrorBody(error);
  return {
    isError: true,
    content: [{ type: "text", text: JSON.stringify(body) }],
    structuredContent: body,
  };
}

/** `{ error: { code, message } }` for any thrown value. */
export function toolErrorBody(error: unknown): ToolErrorBody {
  if (isStateStoreError(error)) return { error: { code: error.code, message: error.message } };
  const message = error instanceof Error ? error.message : String(error);
  return { error: { code: TOOL_FAILED, message } };
}

/** A successful tool result carrying `value` as structured content and as JSON text. */
export function toolJsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value };
}
