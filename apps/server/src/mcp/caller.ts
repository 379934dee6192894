import { LIMITS, ValidationError } from "@agent-state/core";
import { TOOL_FAILED, type ToolErrorBody } from "@agent-state/mcp";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Logger } from "../logger.js";
import { isServerSideFailure, publicStoreError } from "../public-error.js";

/**
 * One MCP user's own session id space. The store holds `<length of userId>:<userId>:<id>`: the length prefix
 * makes the mapping injective (("a#b", "c") and ("a", "b#c") never meet, whatever the characters), so every
 * id is free to every user and no answer depends on another user's ids.
 */
export interface UserSessionIds {
  /** The longest id this user may choose (the stored id must fit `LIMITS.maxIdLength`). */
  readonly maxLength: number;
  /** The stored id for an id the user names; `ValidationError` when it is too long for this user. */
  toStored(sessionId: string): string;
  /** The user's id for a stored id, or undefined when the stored id is not in this user's space. */
  toVisible(storedId: string): string | undefined;
  /** `text` with every JSON-quoted stored id of this user replaced by the user's id (for error messages). */
  unmap(text: string): string;
}

export function userSessionIds(userId: string): UserSessionIds {
  const prefix = `${userId.length}:${userId}:`;
  const maxLength = LIMITS.maxIdLength - prefix.length;
  const quotedPrefix = JSON.stringify(prefix).slice(0, -1);
  return {
    maxLength,
    toStored(sessionId) {
      if (sessionId.length > maxLength) {
        throw new ValidationError("sessionId", `must be at most ${maxLength} characters`);
      }
      return prefix + sessionId;
    },
    toVisible: (storedId) => (storedId.startsWith(prefix) ? storedId.slice(prefix.length) : undefined),
    unmap: (text) => text.split(quotedPrefix).join('"'),
  };
}

/**
 * The tool error a client gets: the stable code and a plain message (no backend internals, no stored ids),
 * after one log line with the tool, the user, the code and the full error.
 */
export function toolFailure(
  logger: Logger,
  userId: string,
  ids: UserSessionIds,
): (error: unknown, toolName: string) => CallToolResult {
  return (error, toolName) => {
    const { code, message } = publicStoreError(error, TOOL_FAILED);
    const fields = { tool: toolName, userId, code, error };
    if (isServerSideFailure(error)) logger.error("mcp tool call failed", fields);
    else logger.warn("mcp tool call failed", fields);
    const body: ToolErrorBody = { error: { code, message: ids.unmap(message) } };
    return {
      isError: true,
      content: [{ type: "text", text: JSON.stringify(body) }],
      structuredContent: { ...body },
    };
  };
}
