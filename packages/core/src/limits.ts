/** Limits every backend enforces identically (validation happens in core, before any backend call). */
export const LIMITS = {
  /** Longest session, user, agent id (UTF-16 code units). */
  maxIdLength: 256,
  /** Longest tool name. */
  maxToolNameLength: 128,
  /** Deepest nesting of a JSON value (DynamoDB's document limit is 32 levels). */
  maxJsonDepth: 32,
  /** Most messages in one `append` call (it is atomic, and DynamoDB transactions hold ≤ 100 items). */
  maxMessagesPerAppend: 50,
  /** Largest page (`limit`) and `recentMessages`. */
  maxPageSize: 1000,
  /** Longest ttl accepted: 10 years. */
  maxTtlSeconds: 10 * 365 * 24 * 3600,
} as const;

export const DEFAULT_SESSION_TTL_SECONDS = 3600;
export const DEFAULT_PREFERENCES_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_PAGE_SIZE = 50;
