import { ItemTooLargeError, isStateStoreError, ThrottledError, UnavailableError } from "@agent-state/core";

// Server replies that mean "try again later": out of memory, a long script running.
const THROTTLING_REPLIES = ["OOM", "BUSY"];
// Server replies that mean the node cannot serve right now (loading, failover, cluster reconfiguring).
const UNAVAILABLE_REPLIES = [
  "LOADING",
  "READONLY",
  "MASTERDOWN",
  "CLUSTERDOWN",
  "TRYAGAIN",
  "NOREPLICAS",
  "MISCONF",
];

/**
 * Turns whatever ioredis threw into a state-store error: typed store errors pass through, capacity
 * replies become `ThrottledError`, oversize requests `ItemTooLargeError`, and everything else (lost
 * connection, timeouts, a node down, unexpected replies) `UnavailableError` with the original as `cause`.
 */
export function toStoreError(error: unknown, operation: string, sizeBytes = 0): Error {
  if (isStateStoreError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const word = message.split(/[\s:]/, 1)[0] ?? "";
  if (THROTTLING_REPLIES.includes(word)) {
    return new ThrottledError(`redis rejected ${operation}: ${message}`, { cause: error });
  }
  if (/invalid bulk length|exceeds maximum allowed size|proto-max-bulk-len/i.test(message)) {
    return new ItemTooLargeError(operation, sizeBytes, REDIS_MAX_BULK_BYTES);
  }
  const kind = UNAVAILABLE_REPLIES.includes(word) ? "cannot serve" : "failed";
  return new UnavailableError(`redis ${kind} during ${operation}: ${message}`, { cause: error });
}

/** Redis's default `proto-max-bulk-len`: the largest single string a request may carry. */
export const REDIS_MAX_BULK_BYTES = 512 * 1024 * 1024;

/** Runs one store operation, mapping every failure through `toStoreError`. */
export function guarded<T>(operation: string, run: () => Promise<T>): Promise<T> {
  // A rejection handler rather than an async wrapper: one promise less per call on the hot paths.
  let running: Promise<T>;
  try {
    running = run();
  } catch (error) {
    return Promise.reject(toStoreError(error, operation));
  }
  return running.catch((error: unknown) => {
    throw toStoreError(error, operation);
  });
}
