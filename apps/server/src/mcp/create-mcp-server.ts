import type { StateStore } from "@agent-state/core";
import { McpServer } from "@modelcontextprotocol/server";
import { type Logger, silentLogger } from "../logger.js";
import { registerCacheTools } from "./cache-tools.js";
import { toolFailure, userSessionIds } from "./caller.js";
import { registerPreferenceTools } from "./preference-tools.js";
import { registerSessionTools } from "./session-tools.js";
import { defineWordCountTool } from "./word-count-tool.js";

export const SERVER_NAME = "agent-state";
export const SERVER_VERSION = "0.1.0";

/** Builds the MCP server for one caller; see `createAgentStateMcpServerFactory`. */
export type AgentStateMcpServerFactory = (userId: string) => McpServer;

/**
 * A factory of MCP servers whose tools act for one caller (`userId`) on `store`: sessions, messages,
 * versioned state, the tool cache, preferences, and the `word_count` example. Each user has their own session id
 * space (see `userSessionIds`) and their own `word_count` cache entries unless `shareWordCountCache`; failed
 * tool calls are logged to `logger` with their code, and answered with the code and a plain message. A server is built per request
 * (HTTP) or per connection (stdio) and holds nothing but registrations; what is costly or must be shared (the
 * input schemas, the example tool's cache wrapper) is built once here.
 */
export function createAgentStateMcpServerFactory(
  store: StateStore,
  options: { maxPageSize: number; logger?: Logger; shareWordCountCache?: boolean },
): AgentStateMcpServerFactory {
  const logger = options.logger ?? silentLogger;
  const wordCount = defineWordCountTool(store, { shared: options.shareWordCountCache === true });
  return (userId) => {
    const server = new McpServer(
      { name: SERVER_NAME, version: SERVER_VERSION },
      {
        instructions:
          "Sessions hold an agent's conversation and state; call session_create (or word_count without a " +
          "sessionId) to start one and pass its sessionId to later calls.",
      },
    );
    const ids = userSessionIds(userId);
    const fail = toolFailure(logger, userId, ids);
    const scope = { store, userId, maxPageSize: options.maxPageSize, ids, fail };
    registerSessionTools(server, scope);
    registerCacheTools(server, scope);
    registerPreferenceTools(server, scope);
    wordCount.register(server, { userId, storedSessionId: (id) => ids.toStored(id), toolError: fail });
    return server;
  };
}
