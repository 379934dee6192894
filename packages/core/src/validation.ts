import { ValidationError } from "./errors.js";
import { DEFAULT_PAGE_SIZE, LIMITS } from "./limits.js";
import type { Json, MessageInput, MessageRole, SessionChanges, SessionInit } from "./types.js";

// C0 and C1 control characters, plus DEL: matching them is the point.
// biome-ignore lint/suspicious/noControlCharactersInRegex: see above
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Session, user and agent ids: 1–256 characters, no control characters, well-formed Unicode. */
export function validateId(field: string, value: unknown, maxLength: number = LIMITS.maxIdLength): string {
  if (typeof value !== "string") throw new ValidationError(field, `must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new ValidationError(field, "must not be empty");
  if (value.length > maxLength) throw new ValidationError(field, `must be at most ${maxLength} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw new ValidationError(field, "must not contain control characters");
  if (!value.isWellFormed())
    throw new ValidationError(field, "must be well-formed Unicode (no lone surrogates)");
  return value;
}

export function validateToolName(value: unknown): string {
  return validateId("toolName", value, LIMITS.maxToolNameLength);
}

/**
 * Checks that `value` is plain JSON that round-trips exactly: no NaN/Infinity, BigInt, undefined,
 * functions, symbols, class instances (Date, Map…), cycles, lone surrogates, or nesting past 32 levels.
 */
export function validateJson(field: string, value: unknown): Json {
  checkJson(field, value, 0, new Set());
  return value as Json;
}

/** A plain JSON object (not an array, not null), e.g. a session's state or a tool's parameters. */
export function validateJsonObject(field: string, value: unknown): Record<string, Json> {
  if (!isPlainObject(value))
    throw new ValidationError(field, `must be a plain object, got ${describe(value)}`);
  checkJson(field, value, 0, new Set());
  return value as Record<string, Json>;
}

function checkJson(path: string, value: unknown, depth: number, ancestors: Set<object>): void {
  if (depth > LIMITS.maxJsonDepth) {
    throw new ValidationError(path, `nests deeper than ${LIMITS.maxJsonDepth} levels`);
  }
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new ValidationError(path, "string has a lone surrogate");
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new ValidationError(path, `${value} is not a JSON number`);
      return;
    case "object": {
      if (value === null) return;
      if (ancestors.has(value)) throw new ValidationError(path, "contains a cycle");
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw new ValidationError(`${path}[${i}]`, "sparse arrays are not JSON");
          checkJson(`${path}[${i}]`, value[i], depth + 1, ancestors);
        }
      } else if (isPlainObject(value)) {
        if (Object.getOwnPropertySymbols(value).length > 0) {
          throw new ValidationError(path, "symbol keys are not JSON");
        }
        for (const [key, child] of Object.entries(value)) {
          const childPath = `${path}.${key}`;
          if (!key.isWellFormed()) throw new ValidationError(childPath, "key has a lone surrogate");
          checkJson(childPath, child, depth + 1, ancestors);
        }
      } else {
        throw new ValidationError(path, `${describe(value)} is not a plain JSON value`);
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new ValidationError(path, `${describe(value)} is not a JSON value`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "an unknown class"}`;
  if (typeof value === "bigint") return "a BigInt";
  return typeof value === "number" || typeof value === "boolean" ? String(value) : `a ${typeof value}`;
}

/** ttlSeconds: a whole number of seconds from 1 to 10 years. */
export function validateTtlSeconds(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ValidationError(field, `must be a positive whole number of seconds, got ${describe(value)}`);
  }
  if (value > LIMITS.maxTtlSeconds)
    throw new ValidationError(field, `must be at most ${LIMITS.maxTtlSeconds}`);
  return value;
}

/** A page size (`limit`) or a `recentMessages` count: a whole number from `min` to 1000. */
export function validateCount(field: string, value: unknown, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > LIMITS.maxPageSize) {
    throw new ValidationError(
      field,
      `must be a whole number from ${min} to ${LIMITS.maxPageSize}, got ${describe(value)}`,
    );
  }
  return value;
}

export function validateExpectedVersion(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ValidationError("expectedVersion", `must be a whole number ≥ 1, got ${describe(value)}`);
  }
  return value;
}

export function validateOrder(value: unknown): "asc" | "desc" {
  if (value !== "asc" && value !== "desc") throw new ValidationError("order", `must be "asc" or "desc"`);
  return value;
}

const SESSION_INIT_FIELDS: ReadonlySet<string> = new Set([
  "sessionId",
  "userId",
  "agentId",
  "state",
  "ttlSeconds",
]);

export function validateSessionInit(init: unknown): SessionInit {
  if (init === undefined) return {};
  if (!isPlainObject(init)) throw new ValidationError("init", "must be an object");
  for (const key of Object.keys(init)) {
    if (!SESSION_INIT_FIELDS.has(key)) throw new ValidationError(`init.${key}`, "is not a session field");
  }
  const result: SessionInit = {};
  if (init.sessionId !== undefined) result.sessionId = validateId("sessionId", init.sessionId);
  if (init.userId !== undefined) result.userId = validateId("userId", init.userId);
  if (init.agentId !== undefined) result.agentId = validateId("agentId", init.agentId);
  if (init.state !== undefined) result.state = validateJsonObject("state", init.state);
  if (init.ttlSeconds !== undefined) result.ttlSeconds = validateTtlSeconds("ttlSeconds", init.ttlSeconds);
  return result;
}

export function validateSessionChanges(changes: unknown): SessionChanges {
  if (!isPlainObject(changes)) throw new ValidationError("changes", "must be an object");
  const result: SessionChanges = {};
  for (const key of Object.keys(changes)) {
    if (key !== "state" && key !== "lastToolCall")
      throw new ValidationError(`changes.${key}`, "is not a changeable field");
  }
  if (changes.state !== undefined) result.state = validateJsonObject("state", changes.state);
  if (changes.lastToolCall !== undefined) {
    result.lastToolCall =
      changes.lastToolCall === null
        ? null
        : validateId("lastToolCall", changes.lastToolCall, LIMITS.maxToolNameLength);
  }
  return result;
}

const ROLES: ReadonlySet<string> = new Set<MessageRole>(["system", "user", "assistant", "tool"]);

/** One message or a list of 1–50; returns them as a list. */
export function validateMessages(input: unknown): MessageInput[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new ValidationError("messages", "must not be empty");
  if (list.length > LIMITS.maxMessagesPerAppend) {
    throw new ValidationError("messages", `at most ${LIMITS.maxMessagesPerAppend} messages per append`);
  }
  return list.map((message, i) => validateMessage(`messages[${i}]`, message));
}

function validateMessage(field: string, message: unknown): MessageInput {
  if (!isPlainObject(message)) throw new ValidationError(field, "must be an object");
  for (const key of Object.keys(message)) {
    if (key !== "role" && key !== "content" && key !== "metadata" && key !== "timestamp") {
      throw new ValidationError(`${field}.${key}`, "is not a message field");
    }
  }
  if (typeof message.role !== "string" || !ROLES.has(message.role)) {
    throw new ValidationError(`${field}.role`, "must be one of system, user, assistant, tool");
  }
  if (typeof message.content !== "string") throw new ValidationError(`${field}.content`, "must be a string");
  if (!message.content.isWellFormed()) throw new ValidationError(`${field}.content`, "has a lone surrogate");
  const result: MessageInput = { role: message.role as MessageRole, content: message.content };
  if (message.timestamp !== undefined) {
    if (
      typeof message.timestamp !== "number" ||
      !Number.isSafeInteger(message.timestamp) ||
      message.timestamp < 0
    ) {
      throw new ValidationError(`${field}.timestamp`, "must be epoch milliseconds (a whole number ≥ 0)");
    }
    result.timestamp = message.timestamp;
  }
  if (message.metadata !== undefined)
    result.metadata = validateJsonObject(`${field}.metadata`, message.metadata);
  return result;
}

/**
 * Preference changes: JSON values, or `undefined` to remove a key. Checked like `set`'s values object (the
 * changes object is depth 0, symbol keys rejected), so `patch` never stores what `set` would reject.
 */
export function validatePreferenceChanges(changes: unknown): Record<string, Json | undefined> {
  if (!isPlainObject(changes)) throw new ValidationError("changes", "must be a plain object");
  if (Object.getOwnPropertySymbols(changes).length > 0) {
    throw new ValidationError("changes", "symbol keys are not JSON");
  }
  for (const [key, value] of Object.entries(changes)) {
    if (!key.isWellFormed()) throw new ValidationError(`changes.${key}`, "key has a lone surrogate");
    if (value !== undefined) checkJson(`changes.${key}`, value, 1, new Set([changes]));
  }
  return changes as Record<string, Json | undefined>;
}

export function validateOptionalTtl(
  field: string,
  opts: { ttlSeconds?: number } | undefined,
): number | undefined {
  return opts?.ttlSeconds === undefined ? undefined : validateTtlSeconds(field, opts.ttlSeconds);
}

/** `get`'s options: the `recentMessages` count (0–1000), or undefined when not asked for. */
export function parseGetOptions(opts: { recentMessages?: number } | undefined): number | undefined {
  return opts?.recentMessages === undefined
    ? undefined
    : validateCount("recentMessages", opts.recentMessages, 0);
}

/** `update`'s options: the `expectedVersion`, or undefined for an unconditional update. */
export function parseUpdateOptions(opts: { expectedVersion?: number } | undefined): number | undefined {
  return opts?.expectedVersion === undefined ? undefined : validateExpectedVersion(opts.expectedVersion);
}

/** A listing's options with defaults filled in: page size (default 50) and the raw cursor, if any. */
export function parsePageOptions(opts: { limit?: number; cursor?: string } | undefined): {
  limit: number;
  cursor: string | undefined;
} {
  return {
    limit: opts?.limit === undefined ? DEFAULT_PAGE_SIZE : validateCount("limit", opts.limit),
    cursor: opts?.cursor,
  };
}

/** `messages`' options with defaults filled in: page size, order (default "asc") and the raw cursor. */
export function parseMessagesOptions(
  opts: { limit?: number; cursor?: string; order?: "asc" | "desc" } | undefined,
): { limit: number; order: "asc" | "desc"; cursor: string | undefined } {
  return { ...parsePageOptions(opts), order: opts?.order === undefined ? "asc" : validateOrder(opts.order) };
}
