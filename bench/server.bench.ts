/**
 * The `agent-state` server's MCP tools over real HTTP against a bare MCP server (see
 * apps/server/test/server-bench.ts, which lives there so the MCP SDK resolves from the server's dependencies).
 */
export { default } from "../apps/server/test/server-bench.js";
