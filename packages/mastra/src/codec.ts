import { type Json, setOwn, ValidationError } from "@agent-state/core";

// Threads, resources and workflow snapshots are kept as JSON, but Mastra's own in-memory store hands back what
// it was given: `Date`s (`createdAt`, a clone's `clonedAt`, a step's timestamps), properties set to
// `undefined`, bytes and `Error`s in failed step results. Each of those becomes a one-key marker object
// ("$date", "$undefined", "$bytes", "$error"); a real key starting with "$" gets one more "$" in front, so
// nothing stored can be read back as a marker.

const DATE = "$date";
const UNDEFINED = "$undefined";
const BYTES = "$bytes";
const ERROR = "$error";

/** `value` as JSON that `revive` turns back into an equal value (Dates, undefined, bytes, Errors kept). */
export function pack(value: unknown, path = "value", seen = new Set<object>()): Json {
  if (value === undefined) return { [UNDEFINED]: true };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ValidationError(path, `${value} cannot be stored`);
    return value;
  }
  if (typeof value !== "object") throw new ValidationError(path, `a ${typeof value} cannot be stored`);
  if (value instanceof Date) return { [DATE]: value.getTime() };
  if (value instanceof Uint8Array) return { [BYTES]: Buffer.from(value).toString("base64") };
  if (seen.has(value)) throw new ValidationError(path, "a cyclic value cannot be stored");
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((entry, i) => pack(entry, `${path}[${i}]`, seen));
    if (value instanceof Error) {
      const fields: Record<string, Json> = { message: value.message, name: value.name };
      if (value.stack !== undefined) fields.stack = value.stack;
      if (value.cause !== undefined) fields.cause = pack(value.cause, `${path}.cause`, seen);
      return { [ERROR]: { ...fields, own: packObject(value, path, seen) } };
    }
    return packObject(value, path, seen);
  } finally {
    seen.delete(value);
  }
}

function packObject(value: object, path: string, seen: Set<object>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, entry] of Object.entries(value)) {
    setOwn(out, key.startsWith("$") ? `$${key}` : key, pack(entry, `${path}.${key}`, seen));
  }
  return out;
}

/** The value `pack` was given (plain objects for class instances other than Date, Uint8Array and Error). */
export function revive(json: Json): unknown {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(revive);
  const keys = Object.keys(json);
  if (keys.length === 1) {
    const only = json[keys[0] as string] as Json;
    switch (keys[0]) {
      case DATE:
        return new Date(only as number);
      case UNDEFINED:
        return undefined;
      case BYTES:
        return new Uint8Array(Buffer.from(only as string, "base64"));
      case ERROR:
        return reviveError(only as Record<string, Json>);
    }
  }
  return reviveObject(json);
}

function reviveObject(json: { [key: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(json)) {
    setOwn(out, key.startsWith("$") ? key.slice(1) : key, revive(json[key] as Json));
  }
  return out;
}

function reviveError(fields: Record<string, Json>): Error {
  const error = new Error(String(fields.message));
  Object.defineProperty(error, "name", { value: fields.name, writable: true, configurable: true });
  if (fields.stack === undefined) delete (error as { stack?: string }).stack;
  else Object.defineProperty(error, "stack", { value: fields.stack, writable: true, configurable: true });
  if (fields.cause !== undefined) (error as { cause?: unknown }).cause = revive(fields.cause);
  Object.assign(error, reviveObject((fields.own ?? {}) as { [key: string]: Json }));
  return error;
}
