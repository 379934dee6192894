import { AsyncLocalStorage } from "node:async_hooks";
import { type CachedToolOutcome, cachedTool, type Json, type StateStore } from "@agent-state/core";

/** A tool result plus whether it came from the store's tool cache. */
export interface CachedCallResult<T extends Json> {
  value: T;
  /** True when the value was read from the tool cache rather than computed. */
  cached: boolean;
  /** The cache entry's hit count after this call (0 when freshly computed). */
  hitCount: number;
}

/**
 * Core's `cachedTool`, but each call also learns whether it was a hit and the entry's hit count.
 * `cachedTool` reports that through one `onResult` callback per wrapper; the callback runs inside the
 * async context of the call that started the lookup, so an AsyncLocalStorage slot routes the outcome
 * back to that call. Calls that joined an in-flight identical call share its promise, and so its outcome.
 */
export function cachedCall<P extends Record<string, Json>, T extends Json>(
  store: StateStore,
  toolName: string,
  fn: (params: P) => T | Promise<T>,
  options: { ttlSeconds: number },
): (params: P) => Promise<CachedCallResult<T>> {
  const slot = new AsyncLocalStorage<{ outcome?: CachedToolOutcome }>();
  const outcomes = new WeakMap<Promise<T>, { outcome?: CachedToolOutcome }>();
  const wrapped = cachedTool(store, toolName, fn, {
    ttlSeconds: options.ttlSeconds,
    onResult: (outcome) => {
      const box = slot.getStore();
      if (box) box.outcome = outcome;
    },
  });

  return async (params: P) => {
    const box: { outcome?: CachedToolOutcome } = {};
    const pending = slot.run(box, () => wrapped(params));
    // A joined call gets the promise of the first caller: keep the first caller's box for it.
    if (!outcomes.has(pending)) outcomes.set(pending, box);
    const value = await pending;
    const outcome = outcomes.get(pending)?.outcome;
    return { value, cached: outcome?.cached ?? false, hitCount: outcome?.hitCount ?? 0 };
  };
}
