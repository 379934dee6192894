import { AsyncLocalStorage } from "node:async_hooks";
import {
  type CachedToolCall,
  cachedToolCall,
  getOrCreate,
  type Json,
  LIMITS,
  newSessionId,
  type Session,
  SessionNotFoundError,
  type StateStore,
  transact,
} from "@agent-state/core";
import type {
  CallToolResult,
  McpServer,
  RegisteredTool,
  ToolAnnotations,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { toolErrorBody, toolErrorResult, toolJsonResult } from "./tool-errors.js";

/** What a session tool's handler sees besides its arguments. */
export interface SessionToolContext {
  sessionId: string;
  /** The session as loaded (or created) before the call. */
  session: Session;
}

/** One recorded call, as given to `checkpoint`. */
export interface SessionToolCall<A, T extends Json> {
  toolName: string;
  args: A;
  result: T;
  cached: boolean;
}

export interface SessionToolConfig<S extends z.ZodRawShape, T extends Json> {
  title?: string;
  description?: string;
  /** The tool's own arguments. The glue adds an optional `sessionId` argument (a new session when absent). */
  inputSchema: z.ZodObject<S>;
  annotations?: ToolAnnotations;
  /**
   * Keep results in the store's tool cache for `ttlSeconds`, keyed by the caller's `userId` and the arguments
   * (not the session): each user has their own entries, so no user learns from `cached`/`hitCount` what
   * another asked. `shared: true` keys by the arguments alone, one entry for every user (only for results
   * that reveal nothing about who asked). Only for deterministic tools: the handler then must depend on its
   * arguments alone, since one computation is shared by every session and by concurrent identical calls.
   */
  cache?: { ttlSeconds: number; shared?: boolean };
  /**
   * The caller: sessions the tool creates belong to this user, and a session of any other user answers
   * `NOT_FOUND`. Leave unset only when every caller may use every session. `register(server, caller)`
   * overrides it per server.
   */
  userId?: string;
  /** Stored on sessions the tool creates (overridable per server like `userId`). */
  agentId?: string;
  /** Idle expiry of sessions the tool creates (default: the store's). */
  sessionTtlSeconds?: number;
  /**
   * The session state after a successful call, from the state before it. It runs inside an optimistic
   * transaction and may run again on a version conflict, so it must be pure. Default: state unchanged.
   */
  checkpoint?: (
    state: Record<string, Json>,
    call: SessionToolCall<z.output<z.ZodObject<S>>, T>,
  ) => Record<string, Json>;
  /** Attempts of the checkpoint's versioned update before a `VERSION_CONFLICT` is returned. Default 5. */
  maxAttempts?: number;
}

/** The structured result of a successful session-tool call. */
export interface SessionToolResult<T extends Json> {
  sessionId: string;
  result: T;
  cached: boolean;
  hitCount: number;
  /** The session's version after the checkpoint. */
  version: number;
  messageCount: number;
}

const sessionIdArgument = z
  .string()
  .min(1)
  .max(LIMITS.maxIdLength)
  .optional()
  .describe(
    "The session this call belongs to; loaded, or created when it does not exist. Omit for a new session.",
  );

/** Who is calling: fixed per registration (e.g. per authenticated HTTP request); overrides the config's. */
export interface SessionToolCaller {
  userId?: string;
  agentId?: string;
  /**
   * The stored session id for the id the caller names (or the random one made for a call without one), e.g.
   * to give each user their own id space; it may throw a `ValidationError`. Results still show the caller's
   * id. Default: the id as given.
   */
  storedSessionId?: (sessionId: string) => string;
  /** Turns a failure into the tool error result (e.g. to log it and word it for clients). Default `toolErrorResult`. */
  toolError?: (error: unknown, toolName: string) => CallToolResult;
}

/** A session tool defined once per process and registered on any number of MCP servers. */
export interface SessionToolDefinition {
  readonly name: string;
  /** Registers the tool on `server`, acting for `caller` (default: the config's `userId`/`agentId`). */
  register(server: McpServer, caller?: SessionToolCaller): RegisteredTool;
}

/**
 * Defines an MCP tool whose calls run inside a session of `store`. Each call loads the session named by its
 * `sessionId` argument (creating it when missing), runs `handler` (or answers from the tool cache when
 * `config.cache` is set), records the call and its result as two messages (`assistant` call, `tool` result),
 * then checkpoints with a versioned update that sets `lastToolCall` (and `state` via `config.checkpoint`),
 * retried on conflict. The result's structured content is a `SessionToolResult`. Errors come back as MCP tool
 * errors whose body is `{ error: { code, message } }`, with the store's error code (`NOT_FOUND`,
 * `VALIDATION`, `VERSION_CONFLICT`, …) or `TOOL_FAILED` when the handler threw; a handler failure is
 * recorded in the session too.
 *
 * Define once and `register` per server: servers built per request (the SDK's HTTP entry) then share one
 * input schema and one tool cache wrapper, so concurrent identical calls share one computation across requests.
 */
export function defineSessionTool<S extends z.ZodRawShape, T extends Json>(
  store: StateStore,
  name: string,
  config: SessionToolConfig<S, T>,
  handler: (args: z.output<z.ZodObject<S>>, ctx: SessionToolContext) => T | Promise<T>,
): SessionToolDefinition {
  type Args = z.output<z.ZodObject<S>>;
  const compute = computeWith(store, name, config, handler);
  const inputSchema = config.inputSchema.extend({ sessionId: sessionIdArgument });
  const metadata = {
    ...(config.title === undefined ? {} : { title: config.title }),
    ...(config.description === undefined ? {} : { description: config.description }),
    ...(config.annotations === undefined ? {} : { annotations: config.annotations }),
    inputSchema,
  };

  const run = async (
    caller: SessionToolCaller,
    input: Args & { sessionId?: string },
  ): Promise<CallToolResult> => {
    const { sessionId: requestedId, ...rest } = input;
    const args = rest as Args;
    const fail = (error: unknown) => (caller.toolError ?? toolErrorResult)(error, name);
    const visibleId = requestedId ?? newSessionId();
    let sessionId: string;
    let session: Session;
    try {
      sessionId = caller.storedSessionId === undefined ? visibleId : caller.storedSessionId(visibleId);
      session = await loadOwnSession(store, sessionId, { ...config, ...caller });
    } catch (error) {
      return fail(error);
    }

    let outcome: CachedToolCall<T>;
    try {
      outcome = await compute(args, { sessionId, session }, caller.userId ?? config.userId);
    } catch (error) {
      await recordFailure(store, name, sessionId, args, error, config.maxAttempts);
      return fail(error);
    }

    try {
      await store.sessions.append(sessionId, [
        callMessage(name, args),
        { role: "tool", content: JSON.stringify(outcome.value), metadata: resultMetadata(name, outcome) },
      ]);
      const checkpoint = config.checkpoint;
      const updated = await transact(
        store,
        sessionId,
        (current) => ({
          lastToolCall: name,
          ...(checkpoint
            ? {
                state: checkpoint(current.state, {
                  toolName: name,
                  args,
                  result: outcome.value,
                  cached: outcome.cached,
                }),
              }
            : {}),
        }),
        config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts },
      );
      const body: SessionToolResult<T> = {
        sessionId: visibleId,
        result: outcome.value,
        cached: outcome.cached,
        hitCount: outcome.hitCount,
        version: updated.version,
        messageCount: updated.messageCount,
      };
      return toolJsonResult({ ...body });
    } catch (error) {
      return fail(error);
    }
  };

  return {
    name,
    register: (server, caller = {}) =>
      // The SDK infers the extended schema's output type; it is `Args` plus the optional sessionId.
      server.registerTool(name, metadata, (input: unknown) =>
        run(caller, input as Args & { sessionId?: string }),
      ),
  };
}

/**
 * `defineSessionTool(store, name, config, handler).register(server)`: the one-server shorthand. See
 * `defineSessionTool` for what a call does.
 */
export function registerSessionTool<S extends z.ZodRawShape, T extends Json>(
  server: McpServer,
  store: StateStore,
  name: string,
  config: SessionToolConfig<S, T>,
  handler: (args: z.output<z.ZodObject<S>>, ctx: SessionToolContext) => T | Promise<T>,
): RegisteredTool {
  return defineSessionTool(store, name, config, handler).register(server);
}

/** The session with this id, created for `config.userId` when missing; another user's session is not found. */
async function loadOwnSession(
  store: StateStore,
  sessionId: string,
  config: Pick<SessionToolConfig<z.ZodRawShape, Json>, "userId" | "agentId" | "sessionTtlSeconds">,
): Promise<Session> {
  const session = await getOrCreate(store, {
    sessionId,
    ...(config.userId === undefined ? {} : { userId: config.userId }),
    ...(config.agentId === undefined ? {} : { agentId: config.agentId }),
    ...(config.sessionTtlSeconds === undefined ? {} : { ttlSeconds: config.sessionTtlSeconds }),
  });
  // Same answer as a missing session, so a caller cannot probe for other users' session ids.
  if (config.userId !== undefined && session.userId !== config.userId)
    throw new SessionNotFoundError(sessionId);
  return session;
}

/**
 * The handler, behind the tool cache when configured; in both cases reporting whether the value was cached.
 * Unless the cache is `shared`, the cache key holds the caller (`{ caller, args }`), so users never share an
 * entry (nor a computation in flight).
 */
function computeWith<A, T extends Json>(
  store: StateStore,
  name: string,
  config: { cache?: { ttlSeconds: number; shared?: boolean } },
  handler: (args: A, ctx: SessionToolContext) => T | Promise<T>,
): (args: A, ctx: SessionToolContext, userId: string | undefined) => Promise<CachedToolCall<T>> {
  if (!config.cache) {
    return async (args, ctx) => ({ value: await handler(args, ctx), cached: false, hitCount: 0 });
  }
  const shared = config.cache.shared === true;
  // The cached function takes only the arguments; the context of the call that computes is passed alongside.
  const context = new AsyncLocalStorage<SessionToolContext>();
  const cached = cachedToolCall<Record<string, Json>, T>(
    store,
    name,
    (params) => {
      const ctx = context.getStore();
      if (!ctx) throw new Error("session tool context missing");
      return handler((shared ? params : params.args) as A, ctx);
    },
    { ttlSeconds: config.cache.ttlSeconds },
  );
  return (args, ctx, userId) =>
    context.run(ctx, () =>
      cached(
        shared
          ? (args as Record<string, Json>)
          : { caller: userId ?? null, args: args as Record<string, Json> },
      ),
    );
}

function callMessage(name: string, args: unknown) {
  const argumentsJson = JSON.parse(JSON.stringify(args ?? {})) as Json;
  return {
    role: "assistant" as const,
    content: JSON.stringify({ tool: name, arguments: argumentsJson }),
    metadata: { kind: "tool_call", toolName: name, arguments: argumentsJson },
  };
}

function resultMetadata(name: string, outcome: { cached: boolean; hitCount: number }): Record<string, Json> {
  return { kind: "tool_result", toolName: name, cached: outcome.cached, hitCount: outcome.hitCount };
}

/** Records a failed call in its session (best effort). */
async function recordFailure(
  store: StateStore,
  name: string,
  sessionId: string,
  args: unknown,
  error: unknown,
  maxAttempts: number | undefined,
): Promise<void> {
  const body = toolErrorBody(error);
  try {
    await store.sessions.append(sessionId, [
      callMessage(name, args),
      {
        role: "tool",
        content: JSON.stringify(body),
        metadata: { kind: "tool_error", toolName: name, ...body },
      },
    ]);
    await transact(
      store,
      sessionId,
      () => ({ lastToolCall: name }),
      maxAttempts === undefined ? {} : { maxAttempts },
    );
  } catch {
    // The tool error is what the caller needs; a failure to record it must not mask it.
  }
}
