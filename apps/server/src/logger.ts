import type { Writable } from "node:stream";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

/** Structured logs: one JSON object per line (`time`, `level`, `msg`, then the fields). */
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/**
 * A logger writing JSON lines to `stream` (stdout for `serve`; stderr for `mcp --stdio`, whose stdout
 * carries the protocol). Errors in fields are reduced to `{ name, message, code, cause }`.
 */
export function createJsonLogger(stream: Writable, base: LogFields = {}): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const line = { time: new Date().toISOString(), level, msg, ...base, ...serializeErrors(fields) };
    stream.write(`${JSON.stringify(line)}\n`);
  };
  return {
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

function serializeErrors(fields: LogFields): LogFields {
  // fromEntries defines own properties, so a field named "__proto__" stays a field.
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      value instanceof Error ? serializeError(value) : value,
    ]),
  );
}

/** `{ name, message, code, cause }`, following causes a few levels deep (the backend's own error is there). */
function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const cause = error.cause;
  return {
    name: error.name,
    message: error.message,
    code: (error as { code?: unknown }).code,
    ...(cause instanceof Error && depth < 3 ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}
