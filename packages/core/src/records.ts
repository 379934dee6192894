import { decodeCursor, encodeCursor } from "./cursor.js";
import { ItemTooLargeError, ValidationError } from "./errors.js";
import { DEFAULT_PAGE_SIZE, LIMITS, limitAllowanceBytes } from "./limits.js";
import type { Json, RecordValue, StoredRecord } from "./types.js";
import {
  isPlainObject,
  readingInput,
  validateCount,
  validateJson,
  validateOrder,
  validateTtlSeconds,
} from "./validation.js";

// Everything a backend needs to implement `store.records` on already-checked input: validation that
// returns the copies to store, the value codec, key order and cursors.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it matches
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

function validateRecordString(field: string, value: unknown, maxBytes: number, allowEmpty = false): string {
  if (typeof value !== "string") throw new ValidationError(field, "must be a string");
  if (value.length === 0 && !allowEmpty) throw new ValidationError(field, "must not be empty");
  if (CONTROL_CHARACTERS.test(value)) throw new ValidationError(field, "must not contain control characters");
  if (!value.isWellFormed()) throw new ValidationError(field, "must be well-formed Unicode");
  if (Buffer.byteLength(value, "utf8") > maxBytes) {
    throw new ValidationError(field, `must be at most ${maxBytes} bytes of UTF-8`);
  }
  return value;
}

/** A record scope: 1–512 UTF-8 bytes, no control characters, well-formed Unicode. */
export function validateScope(scope: unknown): string {
  return validateRecordString("scope", scope, LIMITS.maxRecordScopeBytes);
}

/** A record key: 1–512 UTF-8 bytes, no control characters, well-formed Unicode. */
export function validateRecordKey(field: string, key: unknown): string {
  return validateRecordString(field, key, LIMITS.maxRecordKeyBytes);
}

/** `records.get`'s keys: an array of 0–100 keys (duplicates allowed). */
export function validateRecordKeys(keys: unknown): string[] {
  return readingInput("keys", () => {
    if (!Array.isArray(keys)) throw new ValidationError("keys", "must be an array of keys");
    const list = [...keys];
    if (list.length > LIMITS.maxRecordKeysPerGet) {
      throw new ValidationError("keys", `at most ${LIMITS.maxRecordKeysPerGet} keys per get`);
    }
    return list.map((key, i) => validateRecordKey(`keys[${i}]`, key));
  });
}

/** A record value checked and copied: JSON (deep copy) or bytes (a plain `Uint8Array` copy). */
export function validateRecordValue(field: string, value: unknown): RecordValue {
  return readingInput(field, () => {
    if (value instanceof Uint8Array) return new Uint8Array(value);
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      throw new ValidationError(field, "binary values must be a Uint8Array");
    }
    if (value === undefined) throw new ValidationError(field, "is required");
    return validateJson(field, value);
  });
}

/** A checked put, as a backend receives it from `parseRecordWrite`. */
export interface CheckedPut {
  kind: "put";
  key: string;
  value: RecordValue;
  /** The value as stored bytes (see `encodeRecordValue`); its length is what the size limit measures. */
  encoded: EncodedRecordValue;
  ifVersion: number | undefined;
  ttlSeconds: number | undefined;
}

export interface CheckedDelete {
  kind: "delete";
  key: string;
  ifVersion: number | undefined;
}

export type CheckedRecordOp = CheckedPut | CheckedDelete;

/**
 * `records.write`'s input checked and copied: scope, 1–100 ops with distinct keys, each value within
 * `LIMITS.maxRecordValueBytes` and all of them within `LIMITS.maxBytesPerWrite` (else `ItemTooLargeError`).
 */
export function parseRecordWrite(
  scope: unknown,
  ops: unknown,
  opts: unknown,
): { scope: string; ops: CheckedRecordOp[]; atomic: boolean } {
  return readingInput("ops", () => {
    const validScope = validateScope(scope);
    if (!Array.isArray(ops)) throw new ValidationError("ops", "must be an array of ops");
    const list = [...ops];
    if (list.length === 0) throw new ValidationError("ops", "must not be empty");
    if (list.length > LIMITS.maxRecordOpsPerWrite) {
      throw new ValidationError("ops", `at most ${LIMITS.maxRecordOpsPerWrite} ops per write`);
    }
    const seen = list.length > 1 ? new Set<string>() : null;
    let totalBytes = 0;
    const checked: CheckedRecordOp[] = [];
    for (const [i, op] of list.entries()) {
      const one = parseRecordOp(`ops[${i}]`, op);
      if (seen !== null) {
        if (seen.has(one.key)) throw new ValidationError(`ops[${i}]`, "names a key already in this batch");
        seen.add(one.key);
      }
      if (one.kind === "put") totalBytes += one.encoded.bytes.byteLength;
      checked.push(one);
    }
    const maxBytesPerWrite = LIMITS.maxBytesPerWrite + limitAllowanceBytes();
    if (totalBytes > maxBytesPerWrite) {
      throw new ItemTooLargeError("ops", totalBytes, maxBytesPerWrite);
    }
    let atomic = false;
    if (opts !== undefined) {
      if (!isPlainObject(opts)) throw new ValidationError("opts", "must be an object");
      for (const key of Object.keys(opts)) {
        if (key !== "atomic") throw new ValidationError(`opts.${key}`, "is not a write option");
      }
      const value = opts.atomic;
      if (value !== undefined && typeof value !== "boolean") {
        throw new ValidationError("opts.atomic", "must be a boolean");
      }
      atomic = value ?? false;
    }
    return { scope: validScope, ops: checked, atomic };
  });
}

function parseRecordOp(field: string, op: unknown): CheckedRecordOp {
  if (!isPlainObject(op)) throw new ValidationError(field, "must be a { put, value } or { delete } op");
  const isPut = Object.hasOwn(op, "put");
  const isDelete = Object.hasOwn(op, "delete");
  if (isPut === isDelete) throw new ValidationError(field, "must have exactly one of put, delete");
  const allowed = isPut ? PUT_FIELDS : DELETE_FIELDS;
  for (const key of Object.keys(op)) {
    if (!allowed.has(key))
      throw new ValidationError(`${field}.${key}`, `is not a field of a ${isPut ? "put" : "delete"}`);
  }
  const { put, delete: del, value, ifVersion, ttlSeconds } = op;
  const checkedIfVersion =
    ifVersion === undefined ? undefined : validateIfVersion(`${field}.ifVersion`, ifVersion);
  if (!isPut) {
    return { kind: "delete", key: validateRecordKey(`${field}.delete`, del), ifVersion: checkedIfVersion };
  }
  const key = validateRecordKey(`${field}.put`, put);
  const checkedValue = validateRecordValue(`${field}.value`, value);
  const encoded = encodeRecordValue(checkedValue);
  const maxValueBytes = LIMITS.maxRecordValueBytes + limitAllowanceBytes();
  if (encoded.bytes.byteLength > maxValueBytes) {
    throw new ItemTooLargeError(`${field}.value`, encoded.bytes.byteLength, maxValueBytes);
  }
  return {
    kind: "put",
    key,
    value: checkedValue,
    encoded,
    ifVersion: checkedIfVersion,
    ttlSeconds: ttlSeconds === undefined ? undefined : validateTtlSeconds(`${field}.ttlSeconds`, ttlSeconds),
  };
}

const PUT_FIELDS: ReadonlySet<string> = new Set(["put", "value", "ifVersion", "ttlSeconds"]);
const DELETE_FIELDS: ReadonlySet<string> = new Set(["delete", "ifVersion"]);

function validateIfVersion(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(field, "must be a whole number ≥ 0 (0: the record must not exist)");
  }
  return value;
}

/** `records.range`'s options, checked, with defaults filled in and the cursor decoded. */
export interface CheckedRange {
  scope: string;
  prefix: string;
  after: string | undefined;
  before: string | undefined;
  order: "asc" | "desc";
  limit: number;
  /** The last key of the previous page, from the cursor. */
  resumeAfter: string | undefined;
  /** The cursor scope of this listing, for `rangeCursor`. */
  cursorScope: string;
}

export function parseRecordRange(scope: unknown, opts: unknown): CheckedRange {
  return readingInput("opts", () => {
    const validScope = validateScope(scope);
    const o: unknown = opts === undefined ? {} : opts;
    if (!isPlainObject(o)) throw new ValidationError("opts", "must be an object");
    for (const key of Object.keys(o)) {
      if (!RANGE_FIELDS.has(key)) throw new ValidationError(`opts.${key}`, "is not a range option");
    }
    const { prefix, after, before, order, limit, cursor } = o;
    const checked = {
      prefix:
        prefix === undefined ? "" : validateRecordString("prefix", prefix, LIMITS.maxRecordKeyBytes, true),
      after: after === undefined ? undefined : validateRecordKey("after", after),
      before: before === undefined ? undefined : validateRecordKey("before", before),
      order: order === undefined ? ("asc" as const) : validateOrder(order),
      limit: limit === undefined ? DEFAULT_PAGE_SIZE : validateCount("limit", limit),
    };
    const cursorScope = JSON.stringify([
      "records",
      validScope,
      checked.prefix,
      checked.after ?? null,
      checked.before ?? null,
      checked.order,
    ]);
    let resumeAfter: string | undefined;
    if (cursor !== undefined) {
      const position = decodeCursor(cursorScope, cursor);
      if (typeof position !== "string")
        throw new ValidationError("cursor", "is not a cursor this listing issued");
      resumeAfter = position;
    }
    return { scope: validScope, ...checked, resumeAfter, cursorScope };
  });
}

const RANGE_FIELDS: ReadonlySet<string> = new Set(["prefix", "after", "before", "order", "limit", "cursor"]);

/**
 * The bounds a range reads, in UTF-8 byte order, with the cursor applied: every key `k` with
 * `low < k < high` (a bound undefined is open) that starts with `prefix`.
 */
export function rangeBounds(range: CheckedRange): { low: string | undefined; high: string | undefined } {
  let low = range.after;
  let high = range.before;
  if (range.resumeAfter !== undefined) {
    if (range.order === "asc") low = maxKey(low, range.resumeAfter);
    else high = minKey(high, range.resumeAfter);
  }
  return { low, high };
}

function maxKey(a: string | undefined, b: string): string {
  return a === undefined || compareKeys(a, b) < 0 ? b : a;
}

function minKey(a: string | undefined, b: string): string {
  return a === undefined || compareKeys(a, b) > 0 ? b : a;
}

/** True when `key` is inside the range's bounds and prefix (cursor included). */
export function inRange(range: CheckedRange, key: string): boolean {
  if (!key.startsWith(range.prefix)) return false;
  const { low, high } = rangeBounds(range);
  return (
    (low === undefined || compareKeys(key, low) > 0) && (high === undefined || compareKeys(key, high) < 0)
  );
}

/** The page's cursor: null when `more` is false, else one that resumes after the page's last key. */
export function rangeCursor(range: CheckedRange, items: StoredRecord[], more: boolean): string | null {
  const last = items.at(-1);
  return more && last ? encodeCursor(range.cursorScope, last.key) : null;
}

/**
 * Compares keys by Unicode code point, which is UTF-8 byte order (as DynamoDB sort keys and Redis lex
 * ranges compare): unlike JS `<`, which compares UTF-16 code units and puts U+FFFF after U+10000.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // a surrogate pair: both strings hold the same pair here
  }
  return a.length - b.length;
}

/** A record value as bytes, with what it was: the form every durable backend stores. */
export interface EncodedRecordValue {
  type: "json" | "bytes";
  bytes: Uint8Array;
  /** JSON values (from `encodeRecordValue`): the text `bytes` hold, for a backend that sends strings. */
  text?: string;
}

/** JSON as its UTF-8 text, bytes as they are. */
export function encodeRecordValue(value: RecordValue): EncodedRecordValue {
  if (value instanceof Uint8Array) return { type: "bytes", bytes: value };
  const text = JSON.stringify(value);
  return { type: "json", bytes: Buffer.from(text, "utf8"), text };
}

/** The inverse of `encodeRecordValue`: bytes come back as a plain `Uint8Array`. */
export function decodeRecordValue(encoded: EncodedRecordValue): RecordValue {
  if (encoded.type === "bytes") {
    const { bytes } = encoded;
    return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  return JSON.parse(
    Buffer.from(encoded.bytes.buffer, encoded.bytes.byteOffset, encoded.bytes.byteLength).toString("utf8"),
  ) as Json;
}
