import { systemClock } from "./clock.js";
import { DEFAULT_PREFERENCES_TTL_SECONDS, DEFAULT_SESSION_TTL_SECONDS } from "./limits.js";
import type { Clock, TtlDefaults } from "./types.js";
import { validateTtlSeconds } from "./validation.js";

/** Options every store accepts. */
export interface CommonStoreOptions {
  /** The source of "now"; expiry is judged by it. Default `Date.now`. */
  clock?: Clock;
  /** Default retention per kind; see `TtlDefaults`. */
  ttlSeconds?: TtlDefaults;
}

export interface ResolvedCommonOptions {
  clock: Clock;
  ttlSeconds: Required<TtlDefaults>;
}

/** Fills in defaults and validates, so every store starts from the same checked values. */
export function resolveCommonOptions(options: CommonStoreOptions | undefined): ResolvedCommonOptions {
  return {
    clock: options?.clock ?? systemClock,
    ttlSeconds: {
      session: validateTtlSeconds(
        "ttlSeconds.session",
        options?.ttlSeconds?.session ?? DEFAULT_SESSION_TTL_SECONDS,
      ),
      preferences: validateTtlSeconds(
        "ttlSeconds.preferences",
        options?.ttlSeconds?.preferences ?? DEFAULT_PREFERENCES_TTL_SECONDS,
      ),
    },
  };
}
