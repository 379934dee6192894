import { ItemTooLargeError } from "@agent-state/core";

/**
 * The largest serialized value (a session's state, a cache value, a preference record's changes) this
 * store writes; messages and records are held to core's LIMITS instead (the same on every backend). Redis itself takes strings up to 512 MB, but values this big
 * stall the single-threaded server for every other client; past this the write is refused up front,
 * so nothing is half written.
 */
export const MAX_VALUE_BYTES = 32 * 1024 * 1024;

/** Throws `ItemTooLargeError` when the JSON texts together exceed `MAX_VALUE_BYTES`. */
export function checkSize(what: string, texts: string[]): void {
  let sizeBytes = 0;
  for (const text of texts) sizeBytes += Buffer.byteLength(text, "utf8");
  if (sizeBytes > MAX_VALUE_BYTES) throw new ItemTooLargeError(what, sizeBytes, MAX_VALUE_BYTES);
}
