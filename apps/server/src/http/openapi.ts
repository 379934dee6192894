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
  const toolName = {
    ...id("toolName", "Tool name"),
    schema: { type: "string", minLength: 1, maxLength: 128 },
  };
  const cacheParams = {
    name: "params",
    in: "query",
    description: "The tool's parameters as a JSON object (key order does not matter)",
    schema: { type: "string" },
  };
  const cacheUser = {
    name: "user",
    in: "query",
    description: "An MCP user: the entry lives in that user's namespace (where `cache_set` puts it)",
    schema: { type: "string" },
  };
  const threadId = { ...id("threadId", "LangGraph thread id"), schema: { type: "string", minLength: 1 } };
  const checkpointId = { ...id("checkpointId", "Checkpoint id"), schema: { type: "string", minLength: 1 } };
  const ns = {
    name: "ns",
    in: "query",
    description: 'Checkpoint namespace (default: the root graph, "")',
    schema: { type: "string" },
  };

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
      "/state/overview": {
        get: {
          summary: "What the console's overview shows: store kind, health, counts, region(s)",
          responses: {
            "200": json({
              type: "object",
              properties: {
                store: { type: "string" },
                health: {
                  type: "object",
                  properties: { ok: { type: "boolean" }, reason: { type: "string" } },
                },
                stats: { oneOf: [{ $ref: "#/components/schemas/Stats" }, { type: "null" }] },
                region: { type: ["string", "null"] },
                regions: {
                  type: ["array", "null"],
                  description: "Each region of a multi-region store (first = home), null otherwise",
                  items: {
                    type: "object",
                    properties: { region: { type: "string" }, up: { type: "boolean" } },
                  },
                },
              },
            }),
            ...errors,
          },
        },
      },
      "/state/sessions/{sessionId}/messages": {
        delete: {
          summary:
            "Truncate: remove every message after one (atomically; the session's version is unchanged)",
          parameters: [
            id("sessionId", "Session id"),
            {
              name: "after",
              in: "query",
              required: true,
              description: "The id of the message to keep last",
              schema: { type: "string" },
            },
          ],
          responses: {
            "200": json({
              type: "object",
              properties: { sessionId: { type: "string" }, removed: { type: "integer" } },
            }),
            ...errors,
          },
        },
      },
      "/state/cache/{toolName}": {
        get: {
          summary: "One cached result, by its parameters (counts as a hit, like a tool call's lookup)",
          description:
            "The tool cache keys entries by a hash of the parameters, so entries are looked up, not listed.",
          parameters: [toolName, { ...cacheParams, required: true }, cacheUser],
          responses: { "200": json({ $ref: "#/components/schemas/CacheEntry" }), ...errors },
        },
        delete: {
          summary: "Invalidate one cached result (with `params`) or every cached result of a tool",
          parameters: [toolName, cacheParams, cacheUser],
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
      "/state/users/{userId}/preferences/{agentId}": {
        get: {
          summary: "A user's preferences for an agent",
          parameters: [id("userId", "User id"), id("agentId", "Agent id")],
          responses: { "200": json({ $ref: "#/components/schemas/Preferences" }), ...errors },
        },
        put: {
          summary: "Replace a user's preferences for an agent (creates them when absent)",
          parameters: [id("userId", "User id"), id("agentId", "Agent id")],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { type: "object", required: ["values"], properties: { values: { type: "object" } } },
              },
            },
          },
          responses: { "200": json({ $ref: "#/components/schemas/Preferences" }), ...errors, "413": error },
        },
      },
      "/state/threads": {
        get: {
          summary:
            "LangGraph threads (AgentStateSaver's cross-thread index, by thread id), each with its latest checkpoint",
          description:
            "A page of index entries, distinct threads in it; a thread may appear again on a later page.",
          parameters: [limit, cursor],
          responses: {
            "200": json({
              type: "object",
              properties: {
                threads: { type: "array", items: { $ref: "#/components/schemas/ThreadSummary" } },
                cursor: { type: ["string", "null"] },
              },
            }),
            ...errors,
          },
        },
      },
      "/state/threads/{threadId}/checkpoints": {
        get: {
          summary: "A thread's checkpoints of every namespace, newest first",
          parameters: [
            threadId,
            limit,
            { ...cursor, description: "The last checkpoint id of the previous page" },
          ],
          responses: {
            "200": json({
              type: "object",
              properties: {
                threadId: { type: "string" },
                checkpoints: { type: "array", items: { $ref: "#/components/schemas/CheckpointSummary" } },
                cursor: { type: ["string", "null"] },
              },
            }),
            ...errors,
          },
        },
      },
      "/state/threads/{threadId}/checkpoints/{checkpointId}": {
        get: {
          summary:
            "One checkpoint: channel values, metadata, pending writes, and the diff against its parent",
          parameters: [threadId, checkpointId, ns],
          responses: {
            "200": json({
              allOf: [
                { $ref: "#/components/schemas/CheckpointSummary" },
                {
                  type: "object",
                  properties: {
                    values: { type: "object" },
                    metadata: {},
                    pendingWriteList: { type: "array", items: { type: "object" } },
                    diff: {
                      type: "object",
                      properties: {
                        added: { type: "array", items: { type: "string" } },
                        removed: { type: "array", items: { type: "string" } },
                        changed: { type: "array", items: { type: "string" } },
                        changes: {
                          type: "array",
                          items: {
                            type: "object",
                            properties: {
                              kind: { enum: ["added", "removed", "changed"] },
                              path: { type: "string", description: "JSONPath, `$` = the channel map" },
                              before: {},
                              after: {},
                            },
                          },
                        },
                        truncated: { type: "boolean" },
                      },
                    },
                  },
                },
              ],
            }),
            ...errors,
          },
        },
      },
      "/state/threads/{threadId}/checkpoints/{checkpointId}/fork": {
        post: {
          summary:
            "Fork from a checkpoint as LangGraph's updateState does: a new checkpoint whose parent is this one " +
            "(source `update`, step + 1), `values` replacing whole channels; the thread's next run continues from it",
          parameters: [threadId, checkpointId, ns],
          requestBody: {
            content: {
              "application/json": {
                schema: { type: "object", properties: { values: { type: "object" } } },
              },
            },
          },
          responses: {
            "201": json({
              type: "object",
              properties: {
                threadId: { type: "string" },
                checkpointId: { type: "string" },
                parentId: { type: "string" },
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
            "VALIDATION 400, UNAUTHORIZED 401, NOT_FOUND 404, ALREADY_EXISTS/VERSION_CONFLICT 409, ITEM_TOO_LARGE 413, THROTTLED 429, DECRYPTION_FAILED 500, UNAVAILABLE 503",
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
        CacheEntry: {
          type: "object",
          properties: {
            toolName: { type: "string", description: "As stored (namespaced when `user` was given)" },
            params: { type: "object" },
            value: {},
            hitCount: { type: "integer" },
            cachedAt: { type: "integer", description: "epoch ms" },
            expiresAt: { type: "integer", description: "epoch ms" },
          },
        },
        Preferences: {
          type: "object",
          properties: {
            userId: { type: "string" },
            agentId: { type: "string" },
            values: { type: "object" },
            version: { type: "integer" },
            updatedAt: { type: "integer", description: "epoch ms" },
            expiresAt: { type: "integer", description: "epoch ms" },
          },
        },
        ThreadSummary: {
          type: "object",
          properties: {
            threadId: { type: "string" },
            latestCheckpointId: { type: "string" },
            ns: { type: "string" },
            step: { type: ["integer", "null"] },
            source: { type: ["string", "null"] },
          },
        },
        CheckpointSummary: {
          type: "object",
          properties: {
            threadId: { type: "string" },
            ns: { type: "string" },
            checkpointId: { type: "string" },
            parentId: { type: ["string", "null"] },
            ts: { type: "string", description: "ISO time" },
            step: { type: ["integer", "null"] },
            source: { type: ["string", "null"] },
            writes: {},
            channels: { type: "array", items: { type: "string" } },
            pendingWrites: { type: "integer" },
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
