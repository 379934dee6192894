import { createHash } from "node:crypto";
import { ValidationError } from "./errors.js";
import type { Json } from "./types.js";

/**
 * Opaque page cursors. A cursor carries the backend's position plus a checksum over the position and the
 * listing it belongs to (its `scope`, e.g. one session's messages in one order), so an edited cursor, or
 * one from another listing, is rejected with a `ValidationError` instead of returning a wrong page.
 */
export function encodeCursor(scope: string, position: Json): string {
  const payload = JSON.stringify(position);
  return `${Buffer.from(payload, "utf8").toString("base64url")}.${checksum(scope, payload)}`;
}

export function decodeCursor(scope: string, cursor: unknown): Json {
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 8192) throw unknownCursor();
  const dot = cursor.lastIndexOf(".");
  if (dot <= 0) throw unknownCursor();
  const payload = Buffer.from(cursor.slice(0, dot), "base64url").toString("utf8");
  if (checksum(scope, payload) !== cursor.slice(dot + 1)) throw unknownCursor();
  try {
    return JSON.parse(payload) as Json;
  } catch {
    throw unknownCursor();
  }
}

function checksum(scope: string, payload: string): string {
  return createHash("sha256").update(scope).update("\u0000").update(payload).digest("base64url").slice(0, 16);
}

function unknownCursor(): ValidationError {
  return new ValidationError("cursor", "is not a cursor this listing issued");
}
