import { type Json, setOwn, ValidationError } from "@agent-state/core";

// Events and state values are stored as JSON, but ADK keeps them as they were given (InMemorySessionService
// deep-clones them): properties whose value is `undefined` (`createEvent` sets `author: undefined` and
// `branch: undefined`), and bytes. Both become a one-key marker object; a real key starting with "$" is
// escaped by doubling the "$", so no value can be mistaken for a marker. Anything else JSON cannot hold
// (a Date, a Map, a class instance, a function, NaN) is refused with `ValidationError`, before anything is
// written, rather than stored as something else.

const BYTES = "$bytes";
const UNDEFINED = "$undefined";

/** `value` as JSON that `decode` turns back into an equal copy. Throws `ValidationError` naming `path`. */
export function encode(value: unknown, path: string): Json {
  return encodeAt(value, path, new Set());
}

function encodeAt(value: unknown, path: string, ancestors: Set<object>): Json {
  if (value === undefined) return { [UNDEFINED]: true };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ValidationError(path, `${value} cannot be stored`);
    return value;
  }
  if (typeof value !== "object") throw new ValidationError(path, `a ${typeof value} cannot be stored`);
  if (value instanceof Uint8Array) return { [BYTES]: Buffer.from(value).toString("base64") };
  if (ancestors.has(value)) throw new ValidationError(path, "contains a cycle");
  ancestors.add(value);
  let out: Json;
  if (Array.isArray(value)) {
    out = value.map((entry, i) => encodeAt(entry, `${path}[${i}]`, ancestors));
  } else {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new ValidationError(path, "only plain objects, arrays, JSON values and Uint8Array can be stored");
    }
    const object: Record<string, Json> = {};
    for (const [key, entry] of Object.entries(value)) {
      setOwn(object, key.startsWith("$") ? `$${key}` : key, encodeAt(entry, `${path}.${key}`, ancestors));
    }
    out = object;
  }
  ancestors.delete(value);
  return out;
}

/** The value `encode` was given (a deep copy). */
export function decode(json: Json): unknown {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(decode);
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0] === BYTES) {
    return new Uint8Array(Buffer.from(json[BYTES] as string, "base64"));
  }
  if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) setOwn(out, key.startsWith("$") ? key.slice(1) : key, decode(json[key] as Json));
  return out;
}

/** A state object (key → value) encoded key by key, so that one key can be replaced without decoding all. */
export function encodeState(state: Record<string, unknown>, path: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(state)) setOwn(out, key, encode(value, `${path}.${key}`));
  return out;
}

/** The state `encodeState` was given, as a plain object. */
export function decodeState(state: Record<string, Json>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) setOwn(out, key, decode(value));
  return out;
}
