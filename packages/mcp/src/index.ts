export type {
  SessionToolCall,
  SessionToolCaller,
  SessionToolConfig,
  SessionToolContext,
  SessionToolDefinition,
  SessionToolResult,
} from "./session-tool.js";
export { defineSessionTool, registerSessionTool } from "./session-tool.js";
export type { ToolErrorBody } from "./tool-errors.js";
export { TOOL_FAILED, toolErrorBody, toolErrorResult, toolJsonResult } from "./tool-errors.js";
