import { type Json, ValidationError } from "@agent-state/core";

// Items are stored as JSON, but an `AgentInputItem` may hold what JSON cannot: bytes (`Uint8Array` image and
// file data) and properties whose value is `undefined` (the SDK's own `MemorySession` keeps them, through
// `structuredClone`). Both get a one-key marker object; a real key starting with "$" is escaped by doubling
// the "$", so no item can be mistaken for a marker.

const BYTES = "$bytes";
const UNDEFINED = "$undefined";

/** An item (or any value in it) as JSON that `decode` turns back into an exact copy. */
export function encode(value: unknown, path = "item"): Json {
  if (value === undefined) return { [UNDEFINED]: true };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ValidationError(path, `${value} cannot be stored`);
    return value;
  }
  if (value instanceof Uint8Array) return { [BYTES]: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map((entry, i) => encode(entry, `${path}[${i}]`));
  if (typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [key, entry] of Object.entries(value)) {
      setOwn(out, key.startsWith("$") ? `$${key}` : key, encode(entry, `${path}.${key}`));
    }
    return out;
  }
  throw new ValidationError(path, `a ${typeof value} cannot be stored`);
}

/** The exact value `encode` was given. */
export function decode(json: Json): unknown {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(decode);
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0] === BYTES)
    return new Uint8Array(Buffer.from(json[BYTES] as string, "base64"));
  if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) setOwn(out, key.startsWith("$") ? key.slice(1) : key, decode(json[key] as Json));
  return out;
}

/** Sets a property even when its name is `__proto__`. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
