import { toolJsonResult } from "@agent-state/mcp";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ToolScope } from "./session-tools.js";

const tracer = trace.getTracer("@agent-state/server");

/**
 * Runs a tool body and answers with its value as JSON, or with the scope's tool error (logged, carrying the
 * store's error `code` and a plain message) when it throws. The call is one span, `tools/call <tool>` (the MCP
 * conventions), active while the body runs, so the store spans it causes are its children.
 */
export function guarded(
  scope: Pick<ToolScope, "fail">,
  toolName: string,
  body: () => Promise<Record<string, unknown>>,
): Promise<CallToolResult> {
  return tracer.startActiveSpan(
    `tools/call ${toolName}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": toolName,
        "gen_ai.operation.name": "execute_tool",
      },
    },
    async (span) => {
      try {
        return toolJsonResult(await body());
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        const errorType = typeof code === "string" ? code : "_OTHER";
        span.setAttribute("error.type", errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
        return scope.fail(error, toolName);
      } finally {
        span.end();
      }
    },
  );
}
