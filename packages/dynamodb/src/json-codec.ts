import type { Json } from "@agent-state/core";

/**
 * JSON text for a value, exactly like `JSON.stringify` except that `-0` is written as `-0` (which
 * `JSON.parse` reads back as -0). Values are stored as JSON strings rather than DynamoDB maps and numbers
 * because that round-trips every JSON value exactly: DynamoDB numbers have 38 significant digits but
 * lib-dynamodb refuses unsafe integers and drops -0, map keys cannot be empty in expressions, and
 * documents are capped at 32 levels.
 */
export function encodeJson(value: Json): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : JSON.stringify(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(encodeJson).join(",")}]`;
  const parts: string[] = [];
  for (const [key, child] of Object.entries(value)) parts.push(`${JSON.stringify(key)}:${encodeJson(child)}`);
  return `{${parts.join(",")}}`;
}

export function decodeJson<T extends Json = Json>(text: string): T {
  return JSON.parse(text) as T;
}
