import { createHash, hash } from "node:crypto";
import { canonicalJson } from "./canonical.js";
import { ItemTooLargeError, isStateStoreError, ValidationError } from "./errors.js";
import { DEFAULT_PAGE_SIZE, LIMITS, limitAllowanceBytes } from "./limits.js";
import type { Json, MessageInput, MessageRole, SessionChanges, SessionInit } from "./types.js";
import { checkValueSize, preferenceValuesBytes } from "./value-limits.js";

// C0 and C1 control characters, plus DEL: matching them is the point.
// biome-ignore lint/suspicious/noControlCharactersInRegex: see above
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Runs a check that reads caller input. Reading can run caller code (a getter, a Proxy trap, a revoked Proxy);
 * whatever that throws becomes a `ValidationError` on `field` (with the thrown error as `cause`), so a caller
 * always gets a typed error, before anything is written. The store's own errors pass through unchanged.
 */
export function readingInput<T>(field: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isStateStoreError(error)) throw error;
    throw new ValidationError(field, "could not be read (a getter or Proxy trap threw)", { cause: error });
  }
}

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
 * Checks that `value` is plain JSON that round-trips exactly (no NaN/Infinity, BigInt, undefined,
 * functions, symbols, class instances (Date, Map…), cycles, lone surrogates, or nesting past 32 levels) and
 * returns a deep copy made while checking. Store the copy: each property is read exactly once, so a getter
 * cannot hand the store a different value from the one that was checked.
 */
export function validateJson(field: string, value: unknown): Json {
  return readingInput(field, () => {
    return copyJson(field, value, 0, new Set());
  });
}

/** A plain JSON object (not an array, not null), e.g. a session's state or a tool's parameters; a checked copy. */
export function validateJsonObject(field: string, value: unknown): Record<string, Json> {
  return readingInput(field, () => {
    if (!isPlainObject(value))
      throw new ValidationError(field, `must be a plain object, got ${describe(value)}`);
    return copyJson(field, value, 0, new Set()) as Record<string, Json>;
  });
}

/**
 * A tool's parameters checked as `validateJsonObject("params", …)` checks them, as their canonical JSON
 * (`canonicalJson`), in one walk: every value is read once and no copy is made (the tool cache's lookups
 * run this on every call).
 */
export function canonicalParams(params: unknown): string {
  return readingInput("params", () => {
    if (!isPlainObject(params)) {
      throw new ValidationError("params", `must be a plain object, got ${describe(params)}`);
    }
    return checkedCanonical("params", params, 0, new Set());
  });
}

/** SHA-256 (hex) of `canonicalParams(params)`: `hashParams(validateJsonObject("params", params))` in one walk. */
export function checkedParamsHash(params: unknown): string {
  return hash("sha256", canonicalParams(params), "hex");
}

function checkedCanonical(path: string, value: unknown, depth: number, ancestors: Set<object>): string {
  const kind = jsonKind(path, value, depth, ancestors);
  if (kind === "null") return "null";
  if (kind === "array") {
    const items = value as unknown[];
    let text = "[";
    for (let i = 0; i < items.length; i++) {
      const item = checkedCanonical(itemPath(path, items, i), items[i], depth + 1, ancestors);
      text += (i === 0 ? "" : ",") + item;
    }
    ancestors.delete(items);
    return `${text}]`;
  }
  if (kind === "object") {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).sort();
    let text = "{";
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const child = checkedCanonical(entryPath(path, key), object[key], depth + 1, ancestors);
      text += `${i === 0 ? "" : ","}${JSON.stringify(key)}:${child}`;
    }
    ancestors.delete(object);
    return `${text}}`;
  }
  return JSON.stringify(value);
}

function copyJson(path: string, value: unknown, depth: number, ancestors: Set<object>): Json {
  const kind = jsonKind(path, value, depth, ancestors);
  if (kind === "array") {
    const items = value as unknown[];
    const copy: Json[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      copy[i] = copyJson(itemPath(path, items, i), items[i], depth + 1, ancestors);
    }
    ancestors.delete(items);
    return copy;
  }
  if (kind === "object") {
    const object = value as Record<string, unknown>;
    const copy: Record<string, Json> = {};
    for (const key of Object.keys(object)) {
      const child = copyJson(entryPath(path, key), object[key], depth + 1, ancestors);
      // Assignment is the fast path; only "__proto__" needs defineProperty to stay an own key.
      if (key === "__proto__") setOwn(copy, key, child);
      else copy[key] = child;
    }
    ancestors.delete(object);
    return copy;
  }
  return value as Json;
}

/**
 * The checks both JSON walkers (`copyJson`, `checkedCanonical`) make of one value, as its kind: nesting depth,
 * well-formed strings, finite numbers, no cycle, arrays and plain objects without symbol keys. An array or
 * object is added to `ancestors`; the walker removes it once its entries are done. Entries are checked as the
 * walker reaches them (`itemPath`, `entryPath`).
 */
function jsonKind(
  path: string,
  value: unknown,
  depth: number,
  ancestors: Set<object>,
): "null" | "boolean" | "number" | "string" | "array" | "object" {
  if (depth > LIMITS.maxJsonDepth) {
    throw new ValidationError(path, `nests deeper than ${LIMITS.maxJsonDepth} levels`);
  }
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new ValidationError(path, "string has a lone surrogate");
      return "string";
    case "boolean":
      return "boolean";
    case "number":
      if (!Number.isFinite(value)) throw new ValidationError(path, `${value} is not a JSON number`);
      return "number";
    case "object":
      if (value === null) return "null";
      if (ancestors.has(value)) throw new ValidationError(path, "contains a cycle");
      if (Array.isArray(value)) {
        ancestors.add(value);
        return "array";
      }
      if (!isPlainObject(value)) {
        throw new ValidationError(path, `${describe(value)} is not a plain JSON value`);
      }
      if (Object.getOwnPropertySymbols(value).length > 0) {
        throw new ValidationError(path, "symbol keys are not JSON");
      }
      ancestors.add(value);
      return "object";
    default:
      throw new ValidationError(path, `${describe(value)} is not a JSON value`);
  }
}

/** The path of item `i`, which must not be a hole. */
function itemPath(path: string, items: unknown[], i: number): string {
  if (!(i in items)) throw new ValidationError(`${path}[${i}]`, "sparse arrays are not JSON");
  return `${path}[${i}]`;
}

/** The path of the entry `key`, which must be well-formed. */
function entryPath(path: string, key: string): string {
  const entry = `${path}.${key}`;
  if (!key.isWellFormed()) throw new ValidationError(entry, "key has a lone surrogate");
  return entry;
}

/** Sets an own enumerable property; plain assignment to "__proto__" would set the prototype instead. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An object literal (or `Object.create(null)`): not an array, null or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
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

/**
 * `toolCache.set`'s input checked and copied: the tool name, the params, the value (its JSON within
 * `LIMITS.maxValueBytes`, else `ItemTooLargeError`) and `opts.ttlSeconds` (required).
 */
export function parseToolCacheSet(
  toolName: unknown,
  params: unknown,
  value: unknown,
  opts: unknown,
): { toolName: string; params: Record<string, Json>; value: Json; ttlSeconds: number } {
  return readingInput("opts", () => {
    const checkedName = validateToolName(toolName);
    const checkedParams = validateJsonObject("params", params);
    const checkedValue = checkValueSize("value", validateJson("value", value));
    const ttl = isPlainObject(opts) ? opts.ttlSeconds : undefined;
    return {
      toolName: checkedName,
      params: checkedParams,
      value: checkedValue,
      ttlSeconds: validateTtlSeconds("ttlSeconds", ttl),
    };
  });
}

/** `preferences.set`'s values checked and copied; their JSON within `LIMITS.maxValueBytes`. */
export function validatePreferenceValues(values: unknown): Record<string, Json> {
  return checkValueSize("values", validateJsonObject("values", values));
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
  return readingInput("init", () => {
    if (init === undefined) return {};
    if (!isPlainObject(init)) throw new ValidationError("init", "must be an object");
    for (const key of Object.keys(init)) {
      if (!SESSION_INIT_FIELDS.has(key)) throw new ValidationError(`init.${key}`, "is not a session field");
    }
    const result: SessionInit = {};
    const { sessionId, userId, agentId, state, ttlSeconds } = init;
    if (sessionId !== undefined) result.sessionId = validateId("sessionId", sessionId);
    if (userId !== undefined) result.userId = validateId("userId", userId);
    if (agentId !== undefined) result.agentId = validateId("agentId", agentId);
    if (state !== undefined) result.state = checkValueSize("state", validateJsonObject("state", state));
    if (ttlSeconds !== undefined) result.ttlSeconds = validateTtlSeconds("ttlSeconds", ttlSeconds);
    return result;
  });
}

export function validateSessionChanges(changes: unknown): SessionChanges {
  return readingInput("changes", () => {
    if (!isPlainObject(changes)) throw new ValidationError("changes", "must be an object");
    const result: SessionChanges = {};
    for (const key of Object.keys(changes)) {
      if (key !== "state" && key !== "lastToolCall")
        throw new ValidationError(`changes.${key}`, "is not a changeable field");
    }
    const { state, lastToolCall } = changes;
    if (state !== undefined) result.state = checkValueSize("state", validateJsonObject("state", state));
    if (lastToolCall !== undefined) {
      result.lastToolCall =
        lastToolCall === null ? null : validateId("lastToolCall", lastToolCall, LIMITS.maxToolNameLength);
    }
    return result;
  });
}

const ROLES: ReadonlySet<string> = new Set<MessageRole>(["system", "user", "assistant", "tool"]);

/**
 * One message or a list of 1–98; returns checked copies as a list. A message over `LIMITS.maxMessageBytes`,
 * or a list over `LIMITS.maxBytesPerWrite`, throws `ItemTooLargeError`.
 */
export function validateMessages(input: unknown): MessageInput[] {
  return readingInput("messages", () => {
    const list = Array.isArray(input) ? [...input] : [input];
    if (list.length === 0) throw new ValidationError("messages", "must not be empty");
    if (list.length > LIMITS.maxMessagesPerAppend) {
      throw new ValidationError("messages", `at most ${LIMITS.maxMessagesPerAppend} messages per append`);
    }
    let totalBytes = 0;
    const allowance = limitAllowanceBytes();
    const maxMessageBytes = LIMITS.maxMessageBytes + allowance;
    const messages = list.map((message, i) => {
      const valid = validateMessage(`messages[${i}]`, message);
      const bytes = messageBytes(valid);
      if (bytes > maxMessageBytes) {
        throw new ItemTooLargeError(`messages[${i}]`, bytes, maxMessageBytes);
      }
      totalBytes += bytes;
      return valid;
    });
    if (totalBytes > LIMITS.maxBytesPerWrite + allowance) {
      throw new ItemTooLargeError("messages", totalBytes, LIMITS.maxBytesPerWrite + allowance);
    }
    return messages;
  });
}

/** A message's size as `LIMITS.maxMessageBytes` measures it: UTF-8 content plus the JSON of its metadata. */
export function messageBytes(message: Pick<MessageInput, "content" | "metadata">): number {
  const metadataBytes =
    message.metadata === undefined ? 0 : Buffer.byteLength(JSON.stringify(message.metadata), "utf8");
  return Buffer.byteLength(message.content, "utf8") + metadataBytes;
}

function validateMessage(field: string, input: unknown): MessageInput {
  if (!isPlainObject(input)) throw new ValidationError(field, "must be an object");
  for (const key of Object.keys(input)) {
    if (key !== "role" && key !== "content" && key !== "metadata" && key !== "timestamp") {
      throw new ValidationError(`${field}.${key}`, "is not a message field");
    }
  }
  // Each field is read once, so what is checked is what is stored.
  const { role, content, timestamp, metadata } = input;
  if (typeof role !== "string" || !ROLES.has(role)) {
    throw new ValidationError(`${field}.role`, "must be one of system, user, assistant, tool");
  }
  if (typeof content !== "string") throw new ValidationError(`${field}.content`, "must be a string");
  if (!content.isWellFormed()) throw new ValidationError(`${field}.content`, "has a lone surrogate");
  const result: MessageInput = { role: role as MessageRole, content };
  if (timestamp !== undefined) {
    if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new ValidationError(`${field}.timestamp`, "must be epoch milliseconds (a whole number ≥ 0)");
    }
    result.timestamp = timestamp;
  }
  if (metadata !== undefined) result.metadata = validateJsonObject(`${field}.metadata`, metadata);
  return result;
}

/**
 * Preference changes: JSON values, or `undefined` to remove a key. Checked like `set`'s values object (the
 * changes object is depth 0, symbol keys rejected), so `patch` never stores what `set` would reject.
 */
export function validatePreferenceChanges(changes: unknown): Record<string, Json | undefined> {
  return readingInput("changes", () => {
    if (!isPlainObject(changes)) throw new ValidationError("changes", "must be a plain object");
    if (Object.getOwnPropertySymbols(changes).length > 0) {
      throw new ValidationError("changes", "symbol keys are not JSON");
    }
    const copy: Record<string, Json | undefined> = {};
    const ancestors = new Set<object>([changes]);
    const setEntries: [string, string][] = [];
    for (const key of Object.keys(changes)) {
      if (!key.isWellFormed()) throw new ValidationError(`changes.${key}`, "key has a lone surrogate");
      const value = changes[key];
      const checked = value === undefined ? undefined : copyJson(`changes.${key}`, value, 1, ancestors);
      setOwn(copy, key, checked);
      if (checked !== undefined) setEntries.push([key, JSON.stringify(checked)]);
    }
    // The merged record holds at least what is set here: refuse early what can never fit.
    const setBytes = preferenceValuesBytes(setEntries);
    const maxBytes = LIMITS.maxValueBytes + limitAllowanceBytes();
    if (setBytes > maxBytes) throw new ItemTooLargeError("changes", setBytes, maxBytes);
    return copy;
  });
}

export function validateOptionalTtl(
  field: string,
  opts: { ttlSeconds?: number } | undefined,
): number | undefined {
  return readingInput(field, () => {
    return opts?.ttlSeconds === undefined ? undefined : validateTtlSeconds(field, opts.ttlSeconds);
  });
}

/** `get`'s options: the `recentMessages` count (0–1000), or undefined when not asked for. */
export function parseGetOptions(opts: { recentMessages?: number } | undefined): number | undefined {
  return readingInput("opts", () => {
    return opts?.recentMessages === undefined
      ? undefined
      : validateCount("recentMessages", opts.recentMessages, 0);
  });
}

/** `update`'s options: the `expectedVersion`, or undefined for an unconditional update. */
export function parseUpdateOptions(opts: { expectedVersion?: number } | undefined): number | undefined {
  return readingInput("opts", () => {
    return opts?.expectedVersion === undefined ? undefined : validateExpectedVersion(opts.expectedVersion);
  });
}

/** A listing's options with defaults filled in: page size (default 50) and the raw cursor, if any. */
export function parsePageOptions(opts: { limit?: number; cursor?: string } | undefined): {
  limit: number;
  cursor: string | undefined;
} {
  return readingInput("opts", () => {
    return {
      limit: opts?.limit === undefined ? DEFAULT_PAGE_SIZE : validateCount("limit", opts.limit),
      cursor: opts?.cursor,
    };
  });
}

/** `messages`' options with defaults filled in: page size, order (default "asc") and the raw cursor. */
export function parseMessagesOptions(
  opts: { limit?: number; cursor?: string; order?: "asc" | "desc" } | undefined,
): { limit: number; order: "asc" | "desc"; cursor: string | undefined } {
  return readingInput("opts", () => {
    return {
      ...parsePageOptions(opts),
      order: opts?.order === undefined ? "asc" : validateOrder(opts.order),
    };
  });
}

/**
 * `truncate`'s options (or an append's `replace`, named by `field`): how many of the newest messages to remove,
 * or the id after which to remove all.
 */
export function parseTruncateOptions(
  opts: unknown,
  field?: string,
): { removeLast: number; afterMessageId?: undefined } | { afterMessageId: string; removeLast?: undefined } {
  return readingInput(field ?? "opts", () => {
    const shape = field ?? "opts";
    const inner = (name: string) => (field === undefined ? name : `${field}.${name}`);
    if (!isPlainObject(opts))
      throw new ValidationError(shape, "must be { removeLast } or { afterMessageId }");
    const keys = Object.keys(opts);
    if (keys.length !== 1 || (keys[0] !== "removeLast" && keys[0] !== "afterMessageId")) {
      throw new ValidationError(shape, "must have exactly one of removeLast, afterMessageId");
    }
    const { removeLast, afterMessageId } = opts;
    if (afterMessageId !== undefined)
      return { afterMessageId: validateId(inner("afterMessageId"), afterMessageId) };
    if (
      typeof removeLast !== "number" ||
      !Number.isInteger(removeLast) ||
      removeLast < 0 ||
      removeLast > LIMITS.maxMessagesPerTruncate
    ) {
      throw new ValidationError(
        inner("removeLast"),
        `must be a whole number from 0 to ${LIMITS.maxMessagesPerTruncate}, got ${describe(removeLast)}`,
      );
    }
    return { removeLast };
  });
}

/** The error a backend throws when a `truncate` would remove more than `LIMITS.maxMessagesPerTruncate`. */
export function tooManyToTruncate(count: number): ValidationError {
  return new ValidationError(
    "afterMessageId",
    `would remove ${count} messages, over the limit of ${LIMITS.maxMessagesPerTruncate} per truncate`,
  );
}

/** The error a backend throws when `afterMessageId` is not a message of the session. */
export function unknownMessageId(): ValidationError {
  return new ValidationError("afterMessageId", "is not a message of this session");
}

/** What an append with `replace` removes, as `parseTruncateOptions` returns it. */
export type ReplaceTarget = ReturnType<typeof parseTruncateOptions>;

/**
 * `append`'s options, checked: the precondition (undefined when none), the idempotency key and the `replace`
 * target (undefined when none). A `replace` whose `removeLast` plus the appended messages is over
 * `LIMITS.maxMessagesPerAppend` is rejected here; for `afterMessageId` the backend checks the count it finds
 * (`tooManyToReplace`).
 */
export function parseAppendOptions(
  opts: unknown,
  appendedCount: number,
): {
  expectedLastMessageId: string | null | undefined;
  idempotencyKey: string | undefined;
  replace: ReplaceTarget | undefined;
} {
  return readingInput("opts", () => {
    if (opts === undefined)
      return { expectedLastMessageId: undefined, idempotencyKey: undefined, replace: undefined };
    if (!isPlainObject(opts)) throw new ValidationError("opts", "must be an object");
    for (const key of Object.keys(opts)) {
      if (key !== "expectedLastMessageId" && key !== "idempotencyKey" && key !== "replace") {
        throw new ValidationError(`opts.${key}`, "is not an append option");
      }
    }
    const { expectedLastMessageId, idempotencyKey, replace } = opts;
    let target: ReplaceTarget | undefined;
    if (replace !== undefined) {
      target = parseTruncateOptions(replace, "replace");
      if (
        target.removeLast !== undefined &&
        target.removeLast + appendedCount > LIMITS.maxMessagesPerAppend
      ) {
        throw tooManyToReplace(target.removeLast, appendedCount);
      }
    }
    return {
      expectedLastMessageId:
        expectedLastMessageId === undefined || expectedLastMessageId === null
          ? expectedLastMessageId
          : validateId("expectedLastMessageId", expectedLastMessageId),
      idempotencyKey: idempotencyKey === undefined ? undefined : validateId("idempotencyKey", idempotencyKey),
      replace: target,
    };
  });
}

/**
 * The error for an append with `replace` that would remove `removed` and append `appended` messages, together
 * over `LIMITS.maxMessagesPerAppend`.
 */
export function tooManyToReplace(removed: number, appended: number): ValidationError {
  return new ValidationError(
    "replace",
    `would remove ${removed} and append ${appended} messages, over the limit of ${LIMITS.maxMessagesPerAppend} per append`,
  );
}

/**
 * A fingerprint of an append's checked messages, kept with its idempotency key so that a retry is told
 * apart from a different append that reuses the key.
 */
export function appendFingerprint(messages: MessageInput[], replace?: ReplaceTarget): string {
  // Without `replace` the fingerprint is the messages' alone, as it was before `replace` existed.
  const subject = replace === undefined ? messages : { messages, replace };
  return createHash("sha256")
    .update(canonicalJson(subject as unknown as Json))
    .digest("base64url");
}

/** The error for an idempotency key reused with other messages. */
export function idempotencyKeyReused(): ValidationError {
  return new ValidationError("idempotencyKey", "was already used for an append of other messages");
}
