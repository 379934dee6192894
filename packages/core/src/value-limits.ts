import { ItemTooLargeError } from "./errors.js";
import { LIMITS, limitAllowanceBytes } from "./limits.js";
import type { Json } from "./types.js";

// `LIMITS.maxValueBytes`: how session states, tool-cache values and preference records are measured.

/** UTF-8 bytes of a JSON value's text, as `LIMITS.maxValueBytes` measures it. */
export function jsonBytes(value: Json): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** Returns `value`, or throws `ItemTooLargeError` when its JSON is over `LIMITS.maxValueBytes`. */
export function checkValueSize<T extends Json>(field: string, value: T): T {
  const bytes = jsonBytes(value);
  const maxBytes = LIMITS.maxValueBytes + limitAllowanceBytes();
  if (bytes > maxBytes) throw new ItemTooLargeError(field, bytes, maxBytes);
  return value;
}

/**
 * The values a `patch` leaves (`current` merged with checked `changes`, `undefined` removing a key), or
 * `ItemTooLargeError` when their JSON is over `LIMITS.maxValueBytes`. Keys keep `current`'s order; new ones
 * follow. Backends that merge in place measure with `preferenceValuesBytes` instead.
 */
export function mergePreferenceValues(
  current: Record<string, Json>,
  changes: Record<string, Json | undefined>,
): Record<string, Json> {
  const merged: Record<string, Json> = {};
  // Defined, never assigned: a "__proto__" key stays a key.
  const define = (key: string, value: Json) =>
    Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
  for (const key of Object.keys(current)) define(key, current[key] as Json);
  for (const key of Object.keys(changes)) {
    const value = changes[key];
    if (value === undefined) delete merged[key];
    else define(key, value);
  }
  return checkValueSize("values", merged);
}

/**
 * The size `LIMITS.maxValueBytes` gives a preference record from its entries (key and the value's JSON text
 * each): the bytes of `{"k":v,...}`. Lets a backend that keeps each value's JSON text apart measure a merge
 * without rebuilding the object.
 */
export function preferenceValuesBytes(entries: Iterable<[key: string, valueJson: string]>): number {
  let bytes = 2; // {}
  let count = 0;
  for (const [key, valueJson] of entries) {
    bytes += Buffer.byteLength(JSON.stringify(key), "utf8") + 1 + Buffer.byteLength(valueJson, "utf8");
    count++;
  }
  return bytes + Math.max(count - 1, 0);
}
