import { LIMITS, newSessionId, type Session, type StateStore } from "@agent-state/core";
import type { CallToolResult, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { UserSessionIds } from "./caller.js";
import { guarded } from "./guarded.js";
import { ownSession } from "./ownership.js";
import {
  cursorSchema,
  idSchema,
  jsonObjectSchema,
  limitSchema,
  messageInputSchema,
  sessionIdSchema,
  ttlSecondsSchema,
} from "./schemas.js";

// Tool definitions are built once: a zod object is costly to build, and servers are built per request.
const SESSION_CREATE_TOOL = {
  description: "Create a session owned by the caller (version 1, no messages).",
  inputSchema: z.object({
    sessionId: sessionIdSchema.optional().describe("Choose the id; a random one when omitted"),
    agentId: idSchema.optional(),
    state: jsonObjectSchema.optional().describe("Initial state object"),
    ttlSeconds: ttlSecondsSchema.optional().describe("Idle expiry in seconds (sliding)"),
  }),
};

const SESSION_GET_TOOL = {
  description: "Read one of the caller's sessions, optionally with its most recent messages (oldest first).",
  inputSchema: z.object({ sessionId: sessionIdSchema, recentMessages: limitSchema.optional() }),
  annotations: { readOnlyHint: true },
};

const SESSION_DELETE_TOOL = {
  description: "Delete one of the caller's sessions and all its messages.",
  inputSchema: z.object({ sessionId: sessionIdSchema }),
  annotations: { destructiveHint: true, idempotentHint: true },
};

const SESSIONS_LIST_TOOL = {
  description: "List the caller's live sessions, a page at a time.",
  inputSchema: z.object({ limit: limitSchema.optional(), cursor: cursorSchema.optional() }),
  annotations: { readOnlyHint: true },
};

const MESSAGES_APPEND_TOOL = {
  description:
    "Append 1–50 messages to one of the caller's sessions, atomically; returns them with their ids. With " +
    "replace it first removes the newest messages in the same atomic write (regenerate or edit a turn, compact " +
    "a conversation). With expectedLastMessageId it fails with VERSION_CONFLICT unless that is still the last " +
    "message (null: none).",
  inputSchema: z.object({
    sessionId: sessionIdSchema,
    messages: z.array(messageInputSchema).min(1).max(50),
    replace: z
      .union([
        z.strictObject({ removeLast: z.number().int().min(0).max(LIMITS.maxMessagesPerTruncate) }),
        z.strictObject({ afterMessageId: idSchema }),
      ])
      .optional()
      .describe(
        `Remove first: the newest removeLast messages, or every message after afterMessageId (removed + appended ≤ ${LIMITS.maxMessagesPerAppend})`,
      ),
    expectedLastMessageId: idSchema.nullable().optional(),
  }),
};

const MESSAGES_LIST_TOOL = {
  description: "Page through a session's messages in append order (or newest first with order: desc).",
  inputSchema: z.object({
    sessionId: sessionIdSchema,
    limit: limitSchema.optional(),
    cursor: cursorSchema.optional(),
    order: z.enum(["asc", "desc"]).optional(),
  }),
  annotations: { readOnlyHint: true },
};

const STATE_UPDATE_TOOL = {
  description:
    "Replace a session's state object. With expectedVersion it succeeds only if the session is still at " +
    "that version, else fails with VERSION_CONFLICT (read, merge, retry).",
  inputSchema: z.object({
    sessionId: sessionIdSchema,
    state: jsonObjectSchema,
    expectedVersion: z.number().int().positive().optional(),
  }),
};

/** Who is calling and how big pages may be: fixed per MCP server instance. */
export interface ToolScope {
  store: StateStore;
  userId: string;
  maxPageSize: number;
  /** The caller's own session id space. */
  ids: UserSessionIds;
  /** The tool error for a failure (logged). */
  fail: (error: unknown, toolName: string) => CallToolResult;
}

/** Registers the session and message tools; every one acts only on the caller's own sessions. */
export function registerSessionTools(server: McpServer, scope: ToolScope): void {
  const { store, userId, ids } = scope;
  const capped = (limit: number | undefined) => Math.min(limit ?? scope.maxPageSize, scope.maxPageSize);
  /** The session as the caller sees it: their own id, not the stored one. */
  const shown = <S extends Session>(session: S): S => ({
    ...session,
    sessionId: ids.toVisible(session.sessionId) ?? session.sessionId,
  });

  server.registerTool("session_create", SESSION_CREATE_TOOL, (args) =>
    guarded(scope, "session_create", async () => {
      const session = await store.sessions.create({
        userId,
        sessionId: ids.toStored(args.sessionId ?? newSessionId()),
        ...(args.agentId === undefined ? {} : { agentId: args.agentId }),
        ...(args.state === undefined ? {} : { state: args.state }),
        ...(args.ttlSeconds === undefined ? {} : { ttlSeconds: args.ttlSeconds }),
      });
      return { session: shown(session) };
    }),
  );

  server.registerTool("session_get", SESSION_GET_TOOL, (args) =>
    guarded(scope, "session_get", async () => {
      const recentMessages = args.recentMessages === undefined ? undefined : capped(args.recentMessages);
      const session = await ownSession(
        store,
        userId,
        ids.toStored(args.sessionId),
        recentMessages === undefined ? undefined : { recentMessages },
      );
      return { session: shown(session) };
    }),
  );

  server.registerTool("session_delete", SESSION_DELETE_TOOL, (args) =>
    guarded(scope, "session_delete", async () => {
      const sessionId = ids.toStored(args.sessionId);
      await ownSession(store, userId, sessionId);
      return { deleted: await store.sessions.delete(sessionId) };
    }),
  );

  server.registerTool("sessions_list", SESSIONS_LIST_TOOL, (args) =>
    guarded(scope, "sessions_list", async () => {
      const page = await store.sessions.listByUser(userId, {
        limit: capped(args.limit),
        ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
      });
      // Sessions of this user made outside MCP (admin, library) have ids outside the user's MCP id space:
      // no MCP call can name them, so they are not listed.
      const sessions = page.items.filter((s) => ids.toVisible(s.sessionId) !== undefined).map(shown);
      return { sessions, cursor: page.cursor };
    }),
  );

  server.registerTool("messages_append", MESSAGES_APPEND_TOOL, (args) =>
    guarded(scope, "messages_append", async () => {
      const sessionId = ids.toStored(args.sessionId);
      await ownSession(store, userId, sessionId);
      const messages = args.messages.map((m) => ({
        role: m.role,
        content: m.content,
        ...(m.metadata === undefined ? {} : { metadata: m.metadata }),
      }));
      const opts = {
        ...(args.replace === undefined ? {} : { replace: args.replace }),
        ...(args.expectedLastMessageId === undefined
          ? {}
          : { expectedLastMessageId: args.expectedLastMessageId }),
      };
      return { messages: await store.sessions.append(sessionId, messages, opts) };
    }),
  );

  server.registerTool("messages_list", MESSAGES_LIST_TOOL, (args) =>
    guarded(scope, "messages_list", async () => {
      const sessionId = ids.toStored(args.sessionId);
      await ownSession(store, userId, sessionId);
      const page = await store.sessions.messages(sessionId, {
        limit: capped(args.limit),
        ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
        ...(args.order === undefined ? {} : { order: args.order }),
      });
      return { messages: page.items, cursor: page.cursor };
    }),
  );

  server.registerTool("state_update", STATE_UPDATE_TOOL, (args) =>
    guarded(scope, "state_update", async () => {
      const sessionId = ids.toStored(args.sessionId);
      await ownSession(store, userId, sessionId);
      const session = await store.sessions.update(
        sessionId,
        { state: args.state },
        args.expectedVersion === undefined ? {} : { expectedVersion: args.expectedVersion },
      );
      return { session: shown(session) };
    }),
  );
}
