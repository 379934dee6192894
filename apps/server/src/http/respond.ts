import type { ServerResponse } from "node:http";
import type { StateStoreErrorCode } from "@agent-state/core";
import { publicStoreError } from "../public-error.js";

/** Codes the HTTP layer adds to the store's own. */
export type HttpErrorCode =
  | StateStoreErrorCode
  | "UNAUTHORIZED"
  | "ROUTE_NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "INTERNAL";

const STATUS_BY_CODE: Record<HttpErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_EXISTS: 409,
  VERSION_CONFLICT: 409,
  ITEM_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  THROTTLED: 429,
  INTERNAL: 500,
  DECRYPTION_FAILED: 500,
  UNAVAILABLE: 503,
};

/** An error the HTTP layer answers with its own status and `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(payload)),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(payload);
}

/** Answers with the status for the error's code and a plain message; unknown errors are a 500 without internals. */
export function sendError(res: ServerResponse, error: unknown): void {
  const { status, code, message } = describeError(error);
  const headers: Record<string, string> = {};
  if (code === "UNAUTHORIZED") headers["www-authenticate"] = 'Bearer realm="agent-state"';
  // The oversized body was not read; closing the connection spares reading it.
  if (code === "PAYLOAD_TOO_LARGE") headers.connection = "close";
  sendJson(res, status, { error: { code, message } }, headers);
}

export function describeError(error: unknown): { status: number; code: HttpErrorCode; message: string } {
  if (error instanceof HttpError)
    return { status: STATUS_BY_CODE[error.code], code: error.code, message: error.message };
  const { code, message } = publicStoreError(error);
  const known = STATUS_BY_CODE[code as HttpErrorCode] as number | undefined;
  return known === undefined
    ? { status: 500, code: "INTERNAL", message: "internal error" }
    : { status: known, code: code as HttpErrorCode, message };
}
