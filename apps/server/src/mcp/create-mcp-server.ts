import { McpServer } from "@modelcontextprotocol/server";
import { registerCacheTools } from "./cache-tools.js";
import { registerPreferenceTools } from "./preference-tools.js";
import { registerSessionTools, type ToolScope } from "./session-tools.js";
import { registerWordCountTool } from "./word-count-tool.js";

export const SERVER_NAME = "agent-state";
export const SERVER_VERSION = "0.1.0";

/**
 * An MCP server whose tools act for one caller (`scope.userId`) on `scope.store`: sessions, messages,
 * versioned state, the tool cache, preferences, and the `word_count` example. Built per request (HTTP) or
 * per connection (stdio); cheap, it holds nothing but the registrations.
 */
export function createAgentStateMcpServer(scope: ToolScope): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      instructions:
        "Sessions hold an agent's conversation and state; call session_create (or word_count without a " +
        "sessionId) to start one and pass its sessionId to later calls.",
    },
  );
  registerSessionTools(server, scope);
  registerCacheTools(server, scope);
  registerPreferenceTools(server, scope);
  registerWordCountTool(server, scope);
  return server;
}
