import { createHash } from "node:crypto";
import type { Json } from "./types.js";

/**
 * JSON with object keys sorted (by UTF-16 code unit), so that equal values have one text whatever the
 * order their keys were written in. Arrays keep their order: `[1,2]` and `[2,1]` differ.
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`).join(",")}}`;
}

/** SHA-256 (hex) of the canonical JSON of a tool's parameters: the cache key's parameter half. */
export function hashParams(params: Record<string, Json>): string {
  return createHash("sha256").update(canonicalJson(params)).digest("hex");
}
