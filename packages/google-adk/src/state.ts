import { setOwn } from "@agent-state/core";

// ADK's state scopes (`State.APP_PREFIX` and friends in @google/adk): a key's prefix says where it lives.
export const APP_PREFIX = "app:";
export const USER_PREFIX = "user:";
export const TEMP_PREFIX = "temp:";

/** A state delta split by scope, prefixes removed from app and user keys; `temp:` keys are dropped. */
export interface ScopedDelta {
  app: Record<string, unknown>;
  user: Record<string, unknown>;
  session: Record<string, unknown>;
}

export function splitDelta(delta: Record<string, unknown> | undefined): ScopedDelta {
  const split: ScopedDelta = { app: {}, user: {}, session: {} };
  for (const [key, value] of Object.entries(delta ?? {})) {
    if (key.startsWith(TEMP_PREFIX)) continue;
    if (key.startsWith(APP_PREFIX)) setOwn(split.app, key.slice(APP_PREFIX.length), value);
    else if (key.startsWith(USER_PREFIX)) setOwn(split.user, key.slice(USER_PREFIX.length), value);
    else setOwn(split.session, key, value);
  }
  return split;
}

/** A state delta without its `temp:` keys (what ADK stores of an event's delta). */
export function withoutTemp(delta: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(delta)) {
    if (!key.startsWith(TEMP_PREFIX)) setOwn(kept, key, value);
  }
  return kept;
}

/** The state a session shows: its own keys, then the app's as `app:<key>` and the user's as `user:<key>`. */
export function mergeStates(
  app: Record<string, unknown>,
  user: Record<string, unknown>,
  session: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(session)) setOwn(merged, key, value);
  for (const [key, value] of Object.entries(app)) setOwn(merged, APP_PREFIX + key, value);
  for (const [key, value] of Object.entries(user)) setOwn(merged, USER_PREFIX + key, value);
  return merged;
}

export function isEmpty(object: Record<string, unknown>): boolean {
  return Object.keys(object).length === 0;
}
