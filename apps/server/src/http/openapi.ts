import { OBSERVABILITY_PATHS, OBSERVABILITY_SCHEMAS } from "../telemetry/openapi-cost.js";

/** The OpenAPI 3.1 description of the admin HTTP API, served at `GET /openapi.json`. */
export function openApiDocument(version: string): Record<string, unknown> {
  const error = { $ref: "#/components/responses/Error" };
  const id = (name: string, description: string) => ({
    name,
    in: "path",
    required: true,
    description: `${description} (percent-encoded; 1–256 characters, no control characters)`,
    schema: { type: "string", minLength: 1, maxLength: 256 },
  });
  const limit = {
    name: "limit",
    in: "query",
    description: "Page size; larger values are capped by the server (AGENT_STATE_MAX_PAGE_SIZE, default 100)",
    schema: { type: "integer", minimum: 1 },
  };
  const cursor = {
    name: "cursor",
    in: "query",
    description: "The `cursor` of the previous page",
    schema: { type: "string" },
  };
  const json = (schema: Record<string, unknown>, description = "OK") => ({
    description,
    content: { "application/json": { schema } },
  });
  const errors = { "400": error, "401": error, "404": error, "429": error, "503": error };

  return {
    openapi: "3.1.0",
    info: {
      title: "agent-state admin API",
      version,
      description:
        "Read and manage agent state. Every /state route needs `Authorization: Bearer <admin token>` " +
        "(AGENT_STATE_ADMIN_TOKEN, or the token printed at start). Errors are `{ error: { code, message } }`.",
    },
    security: [{ bearer: [] }],
    paths: {
      "/healthz": {
        get: { summary: "Liveness", security: [], responses: { "200": json({ type: "object" }) } },
      },
      "/state/stats": {
        get: {
          summary: "Counts of live sessions and cache entries",
          responses: { "200": json({ $ref: "#/components/schemas/Stats" }), ...errors },
        },
      },
      "/state/sessions/{sessionId}": {
        get: {
          summary: "One session",
          parameters: [
            id("sessionId", "Session id"),
            { ...limit, name: "recentMessages", description: "Include the last n messages" },
          ],
          responses: { "200": json({ $ref: "#/components/schemas/Session" }), ...errors },
        },
        delete: {
          summary: "Delete a session and all its messages",
          parameters: [id("sessionId", "Session id")],
          responses: {
            "200": json({
              type: "object",
              properties: { sessionId: { type: "string" }, deleted: { const: true } },
            }),
            ...errors,
          },
        },
      },
      "/state/sessions/{sessionId}/conversation": {
        get: {
          summary: "The session's messages, a page at a time",
          parameters: [
            id("sessionId", "Session id"),
            limit,
            cursor,
            { name: "order", in: "query", schema: { enum: ["asc", "desc"] } },
          ],
          responses: {
            "200": json({
              type: "object",
              properties: {
                sessionId: { type: "string" },
                messages: { type: "array", items: { $ref: "#/components/schemas/Message" } },
                cursor: { type: ["string", "null"] },
              },
            }),
            ...errors,
          },
        },
      },
      "/state/cache/{toolName}": {
        delete: {
          summary: "Invalidate every cached result of a tool",
          parameters: [
            { ...id("toolName", "Tool name"), schema: { type: "string", minLength: 1, maxLength: 128 } },
          ],
          responses: {
            "200": json({
              type: "object",
              properties: { toolName: { type: "string" }, invalidated: { const: true } },
            }),
            ...errors,
          },
        },
      },
      "/state/users/{userId}/sessions": {
        get: {
          summary: "A user's live sessions, a page at a time",
          parameters: [id("userId", "User id"), limit, cursor],
          responses: {
            "200": json({
              type: "object",
              properties: {
                userId: { type: "string" },
                sessions: { type: "array", items: { $ref: "#/components/schemas/Session" } },
                cursor: { type: ["string", "null"] },
              },
            }),
            ...errors,
          },
        },
      },
      ...OBSERVABILITY_PATHS,
      "/mcp": {
        post: {
          summary: "MCP over Streamable HTTP (Authorization: Bearer <MCP token> when tokens are configured)",
          responses: {
            "200": { description: "JSON-RPC response or SSE stream" },
            "401": error,
            "413": error,
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      responses: {
        Error: {
          description:
            "VALIDATION 400, UNAUTHORIZED 401, NOT_FOUND 404, ALREADY_EXISTS/VERSION_CONFLICT 409, ITEM_TOO_LARGE 413, THROTTLED 429, UNAVAILABLE 503",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["error"],
                properties: {
                  error: {
                    type: "object",
                    required: ["code", "message"],
                    properties: { code: { type: "string" }, message: { type: "string" } },
                  },
                },
              },
            },
          },
        },
      },
      schemas: {
        ...OBSERVABILITY_SCHEMAS,
        Stats: {
          type: "object",
          properties: {
            activeSessions: { type: "integer" },
            cacheEntries: { type: "integer" },
            approximate: { type: "boolean" },
          },
        },
        Message: {
          type: "object",
          required: ["id", "role", "content", "timestamp"],
          properties: {
            id: { type: "string" },
            role: { enum: ["system", "user", "assistant", "tool"] },
            content: { type: "string" },
            timestamp: { type: "integer", description: "epoch ms" },
            metadata: { type: "object" },
          },
        },
        Session: {
          type: "object",
          properties: {
            sessionId: { type: "string" },
            userId: { type: ["string", "null"] },
            agentId: { type: ["string", "null"] },
            state: { type: "object" },
            version: { type: "integer" },
            messageCount: { type: "integer" },
            lastToolCall: { type: ["string", "null"] },
            lastActiveRegion: { type: ["string", "null"] },
            createdAt: { type: "integer", description: "epoch ms" },
            lastActiveAt: { type: "integer", description: "epoch ms" },
            expiresAt: { type: "integer", description: "epoch ms" },
            recentMessages: { type: "array", items: { $ref: "#/components/schemas/Message" } },
          },
        },
      },
    },
  };
}
