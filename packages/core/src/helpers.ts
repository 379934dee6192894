import { canonicalJson } from "./canonical.js";
import { isStateStoreError, SessionNotFoundError, ValidationError } from "./errors.js";
import type { Json, Session, SessionChanges, SessionInit, StateStore } from "./types.js";
import { validateJsonObject, validateToolName, validateTtlSeconds } from "./validation.js";

/**
 * Optimistic read-modify-write of one session: reads it, calls `fn`, writes the changes with
 * `expectedVersion`, and on a version conflict starts over (at most `maxAttempts` times, a whole
 * number ≥ 1, default 5, with a short jittered pause). `fn` may run more than once, so it must not have side effects.
 * Throws `SessionNotFoundError` when the session is missing, and the last `VersionConflictError` when
 * every attempt lost.
 */
export async function transact(
  store: StateStore,
  sessionId: string,
  fn: (session: Session) => SessionChanges | Promise<SessionChanges>,
  options: { maxAttempts?: number } = {},
): Promise<Session> {
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    // NaN or Infinity would retry forever under contention.
    throw new ValidationError("maxAttempts", `must be a whole number ≥ 1, got ${maxAttempts}`);
  }
  for (let attempt = 1; ; attempt++) {
    const session = await store.sessions.get(sessionId);
    if (!session) throw new SessionNotFoundError(sessionId);
    const changes = await fn(session);
    try {
      return await store.sessions.update(sessionId, changes, { expectedVersion: session.version });
    } catch (error) {
      if (!isStateStoreError(error, "VERSION_CONFLICT") || attempt >= maxAttempts) throw error;
      await sleep(Math.random() * 5 * attempt);
    }
  }
}

/**
 * The live session with `init.sessionId`, created from `init` if there is none. Safe under concurrency:
 * of several concurrent callers one creates it and all get the same session.
 */
export async function getOrCreate(
  store: StateStore,
  init: SessionInit & { sessionId: string },
): Promise<Session> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await store.sessions.get(init.sessionId);
    if (existing) return existing;
    try {
      return await store.sessions.create(init);
    } catch (error) {
      // Another caller created it between our get and create: read theirs.
      if (!isStateStoreError(error, "ALREADY_EXISTS")) throw error;
    }
  }
  const session = await store.sessions.get(init.sessionId);
  if (!session) throw new SessionNotFoundError(init.sessionId);
  return session;
}

/** What a `cachedTool` call did, reported to `onResult`. */
export interface CachedToolOutcome {
  toolName: string;
  /** True when the value came from the store's cache. */
  cached: boolean;
  /** The entry's hit count after this call (0 when freshly computed). */
  hitCount: number;
}

/** A `cachedToolCall` result: the value and where it came from. */
export interface CachedToolCall<T extends Json> {
  value: T;
  /** True when the value came from the store's cache rather than a computation. */
  cached: boolean;
  /** The entry's hit count after this call (0 when freshly computed). */
  hitCount: number;
}

/**
 * Like `cachedTool`, but each call resolves to `{ value, cached, hitCount }`. Concurrent identical calls in
 * this process share one lookup and one computation (and so one result); a computation that throws is not
 * cached (the next call tries again). Results must be JSON.
 */
export function cachedToolCall<P extends Record<string, Json>, T extends Json>(
  store: StateStore,
  toolName: string,
  fn: (params: P) => T | Promise<T>,
  options: { ttlSeconds: number },
): (params: P) => Promise<CachedToolCall<T>> {
  validateToolName(toolName);
  const ttlSeconds = validateTtlSeconds("ttlSeconds", options.ttlSeconds);
  const inFlight = new Map<string, Promise<CachedToolCall<T>>>();

  const run = async (params: P): Promise<CachedToolCall<T>> => {
    const hit = await store.toolCache.get<T>(toolName, params);
    if (hit) return { value: hit.value, cached: true, hitCount: hit.hitCount };
    const value = await fn(params);
    await store.toolCache.set(toolName, params, value, { ttlSeconds });
    return { value, cached: false, hitCount: 0 };
  };

  return (params: P) => {
    try {
      validateJsonObject("params", params);
    } catch (error) {
      // An async tool reports bad params as a rejection, never as a throw the caller's `.catch` misses.
      return Promise.reject(error);
    }
    const key = canonicalJson(params);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const started = run(params).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}

/**
 * Wraps a tool function so its results are kept in the store's tool cache for `ttlSeconds`. Concurrent
 * identical calls in this process share one lookup and one computation; a computation that throws is
 * not cached (the next call tries again). Results must be JSON. `onResult` hears, once per lookup, whether
 * it was a hit; use `cachedToolCall` to get that per call.
 */
export function cachedTool<P extends Record<string, Json>, T extends Json>(
  store: StateStore,
  toolName: string,
  fn: (params: P) => T | Promise<T>,
  options: { ttlSeconds: number; onResult?: (outcome: CachedToolOutcome) => void },
): (params: P) => Promise<T> {
  const call = cachedToolCall(store, toolName, fn, options);
  const reported = new WeakSet<Promise<CachedToolCall<T>>>();
  return async (params: P) => {
    const pending = call(params);
    const result = await pending;
    // Calls that joined an in-flight lookup share its promise: report each lookup once.
    if (options.onResult && !reported.has(pending)) {
      reported.add(pending);
      options.onResult({ toolName, cached: result.cached, hitCount: result.hitCount });
    }
    return result.value;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
