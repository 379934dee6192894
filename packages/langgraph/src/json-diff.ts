import type { Json } from "@agent-state/core";

/** One difference between two JSON values, at a JSONPath-style `path` (`$.messages[2].content`). */
export interface JsonChange {
  kind: "added" | "removed" | "changed";
  path: string;
  /** The old value (absent for `added`). */
  before?: Json;
  /** The new value (absent for `removed`). */
  after?: Json;
}

/** The differences, at most `maxChanges` of them (`truncated` when there were more). */
export interface JsonDiff {
  changes: JsonChange[];
  truncated: boolean;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.key` for identifier-like keys, `$["other key"]` (JSON-quoted) for the rest. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Compares two JSON values and lists what was added, removed or changed, deepest first-differing path per
 * change: objects key by key, arrays index by index (an appended message is one `added` at its index), any
 * other pair of unequal values (or values of different kinds) one `changed`.
 */
export function diffJson(before: Json | undefined, after: Json | undefined, maxChanges = 500): JsonDiff {
  const changes: JsonChange[] = [];
  let truncated = false;
  const push = (change: JsonChange) => {
    if (changes.length >= maxChanges) truncated = true;
    else changes.push(change);
  };
  const walk = (a: Json | undefined, b: Json | undefined, path: string): void => {
    if (truncated) return;
    if (a === undefined && b === undefined) return;
    if (a === undefined) {
      push({ kind: "added", path, after: b as Json });
      return;
    }
    if (b === undefined) {
      push({ kind: "removed", path, before: a });
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], childPath(path, i));
      return;
    }
    if (isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of keys) {
        walk(
          Object.hasOwn(a, key) ? a[key] : undefined,
          Object.hasOwn(b, key) ? b[key] : undefined,
          childPath(path, key),
        );
      }
      return;
    }
    if (!sameScalar(a, b)) push({ kind: "changed", path, before: a, after: b });
  };
  walk(before, after, "$");
  return { changes, truncated };
}

function isObject(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function sameScalar(a: Json, b: Json): boolean {
  // Two containers of different kinds (or a container and a scalar) are never equal here.
  if (typeof a === "object" && a !== null) return false;
  if (typeof b === "object" && b !== null) return false;
  return a === b;
}
