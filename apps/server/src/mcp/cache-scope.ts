import { createHash } from "node:crypto";
import { LIMITS, ValidationError } from "@agent-state/core";

const PREFIX_LENGTH = 20; // "u." + 16 hex + "."

/**
 * The tool-cache name under which one user's `cache_*` tool calls keep their entries. The tool cache is
 * shared by the whole store, so entries written through MCP are namespaced per user (by a hash of the user
 * id, to fit the tool-name limit) and no user reads or invalidates another's.
 */
export function userCacheToolName(userId: string, toolName: string): string {
  const maxLength = LIMITS.maxToolNameLength - PREFIX_LENGTH;
  if (toolName.length > maxLength)
    throw new ValidationError("toolName", `must be at most ${maxLength} characters`);
  const userHash = createHash("sha256").update(userId).digest("hex").slice(0, 16);
  return `u.${userHash}.${toolName}`;
}
