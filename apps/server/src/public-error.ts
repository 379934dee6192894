import { isStateStoreError, type StateStoreErrorCode } from "@agent-state/core";

/** What a client is told about a failure: a stable code and a plain message, nothing of the backend. */
export interface PublicError {
  code: string;
  message: string;
}

// Failures of the backend itself: its own words (SDK handler names, client option hints, endpoints) stay in
// the server log.
const PLAIN_MESSAGES: Partial<Record<StateStoreErrorCode, string>> = {
  UNAVAILABLE: "the store is unavailable; try again later",
  THROTTLED: "the store is busy; try again later",
  ITEM_TOO_LARGE: "the value is too large for the store",
  DECRYPTION_FAILED: "a stored value could not be decrypted",
};

/**
 * The client-facing form of a store error: codes about the caller's input (`VALIDATION`, `NOT_FOUND`,
 * `ALREADY_EXISTS`, `VERSION_CONFLICT`) keep their message, which names only that input; backend failures
 * (`UNAVAILABLE`, `THROTTLED`, `ITEM_TOO_LARGE`, or any error wrapping a backend error as `cause`) get a
 * plain message. Anything else is `fallbackCode` with "internal error". Log the original before answering.
 */
export function publicStoreError(error: unknown, fallbackCode = "INTERNAL"): PublicError {
  if (!isStateStoreError(error)) return { code: fallbackCode, message: "internal error" };
  const plain = PLAIN_MESSAGES[error.code];
  if (plain !== undefined) return { code: error.code, message: plain };
  if (error.cause !== undefined) return { code: error.code, message: "the store refused the request" };
  return { code: error.code, message: error.message };
}

/** True for failures that are the server's or the backend's, not the caller's: worth an error log line. */
export function isServerSideFailure(error: unknown): boolean {
  if (!isStateStoreError(error)) return true;
  return error.code === "UNAVAILABLE" || error.code === "THROTTLED" || error.cause !== undefined;
}
