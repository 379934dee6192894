import { hash } from "node:crypto";
import type { Json } from "./types.js";

/**
 * JSON with object keys sorted (by UTF-16 code unit), so that equal values have one text whatever the
 * order their keys were written in. Arrays keep their order: `[1,2]` and `[2,1]` differ.
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  // Built by concatenation (no intermediate arrays): this runs on every tool-cache read.
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ",") + canonicalJson(value[i] as Json);
    return `${text}]`;
  }
  const keys = Object.keys(value).sort();
  let text = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    text += `${i === 0 ? "" : ","}${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`;
  }
  return `${text}}`;
}

/** SHA-256 (hex) of the canonical JSON of a tool's parameters: the cache key's parameter half. */
export function hashParams(params: Record<string, Json>): string {
  // crypto.hash: the one-shot digest, without a Hash object per call.
  return hash("sha256", canonicalJson(params), "hex");
}
