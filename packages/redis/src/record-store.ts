import {
  type CheckedRange,
  decodeRecordValue,
  expiresAtFrom,
  type Page,
  parseRecordRange,
  parseRecordWrite,
  type RecordOp,
  type RecordRangeOptions,
  type RecordStore,
  type RecordWriteOptions,
  rangeBounds,
  rangeCursor,
  type StoredRecord,
  VersionConflictError,
  validateRecordKeys,
  validateScope,
} from "@agent-state/core";
import { type RedisArg, sendBuffer } from "./client.js";
import type { StoreContext } from "./context.js";
import { guarded } from "./errors.js";
import { physicalTtlMs } from "./expiry.js";
import { RECORD_CLEAR, RECORD_GET, RECORD_RANGE, RECORD_WRITE } from "./scripts/record-scripts.js";
import { MAX_VALUE_BYTES } from "./size.js";

/** Index members one `range` script reads at most before handing back (so one call never runs long). */
export const RANGE_SCAN_BUDGET = 2000;
/** Records `clear` removes per script call. */
const CLEAR_BATCH = 1000;

/**
 * Records as one hash per record under the scope's hash tag, plus the scope's lexical index and ttl index
 * (see scripts/record-scripts.ts). get, write and (in the common case) range are one script each.
 */
export class RedisRecordStore implements RecordStore {
  constructor(private readonly context: StoreContext) {}

  /** The live records with these keys, in the order asked (null where none is live); one script. */
  async get(rawScope: string, rawKeys: string[]): Promise<(StoredRecord | null)[]> {
    const scope = validateScope(rawScope);
    const keys = validateRecordKeys(rawKeys);
    if (keys.length === 0) return [];
    const prefix = this.context.keys.recordKeyPrefix(scope);
    const now = this.context.options.clock();
    if (keys.length === 1) {
      // One key: one HMGET, liveness judged here (a script only to read several keys as of one moment).
      const key = keys[0] as string;
      const reply = (await guarded("records.get", () =>
        sendBuffer(this.context.client, "HMGET", [prefix + key, ...RECORD_FIELDS]),
      )) as (Buffer | null)[];
      const found = liveFields(reply, now);
      return [found ? recordFrom(key, found) : null];
    }
    const unique = [...new Set(keys)];
    const reply = (await guarded("records.get", () =>
      RECORD_GET.runBuffer(
        this.context.client,
        unique.map((key) => prefix + key),
        [String(now)],
      ),
    )) as (Buffer[] | null)[];
    const fields = new Map(unique.map((key, i) => [key, reply[i] ?? null]));
    // Each position gets its own decoded value, so duplicate keys never share one object.
    return keys.map((key) => {
      const found = fields.get(key);
      return found ? recordFrom(key, found) : null;
    });
  }

  /** The live records in key order (UTF-8 byte order) within the bounds, a page at a time. */
  async range(rawScope: string, opts?: RecordRangeOptions): Promise<Page<StoredRecord>> {
    const range = parseRecordRange(rawScope, opts);
    const { low, high } = lexBounds(range);
    const desc = range.order === "desc";
    const now = this.context.options.clock();
    const prefix = this.context.keys.recordKeyPrefix(range.scope);
    const index = this.context.keys.recordIndex(range.scope);
    return guarded("records.range", async () => {
      const items: StoredRecord[] = [];
      let from: RedisArg = desc ? high : low;
      let bytes = 0;
      for (;;) {
        const [status, lastScanned, found] = (await RECORD_RANGE.runBuffer(
          this.context.client,
          [index],
          [
            String(now),
            prefix,
            range.order,
            from,
            desc ? low : high,
            String(range.limit - items.length),
            String(RANGE_SCAN_BUDGET),
            String(Math.max(MAX_VALUE_BYTES - bytes, 1)),
          ],
        )) as [Buffer, Buffer, Buffer[][]];
        for (const [key, ...fields] of found) {
          const record = recordFrom(String(key), fields as Buffer[]);
          bytes += (fields[0] as Buffer).byteLength;
          items.push(record);
        }
        const state = String(status);
        if (state !== "partial") return { items, cursor: rangeCursor(range, items, state === "more") };
        if (items.length === range.limit) {
          // The page is full, and the index goes on: a next page may hold more (or turn out empty).
          return { items, cursor: rangeCursor(range, items, true) };
        }
        from = Buffer.concat([Buffer.from("("), lastScanned]);
      }
    });
  }

  /**
   * Applies puts and deletes in one script: with `atomic`, all or none (every precondition is checked
   * first); without, each op on its own, and the first failure in op order is thrown afterwards.
   */
  async write(rawScope: string, ops: RecordOp[], opts?: RecordWriteOptions): Promise<StoredRecord[]> {
    const write = parseRecordWrite(rawScope, ops, opts);
    const { keys, client, options } = this.context;
    const scopeKeys = keys.recordKeys(write.scope);
    const prefix = scopeKeys.keyPrefix;
    const now = options.clock();
    const args: RedisArg[] = [String(now), write.atomic ? "1" : "0", prefix];
    const expiries: (number | null)[] = [];
    for (const op of write.ops) {
      const ifVersion = op.ifVersion === undefined ? "" : String(op.ifVersion);
      if (op.kind === "delete") {
        args.push("d", op.key, ifVersion, "", "", "", "");
        expiries.push(null);
        continue;
      }
      const expiresAt = op.ttlSeconds === undefined ? null : expiresAtFrom(now, op.ttlSeconds);
      const { bytes, type, text } = op.encoded;
      args.push(
        "p",
        op.key,
        ifVersion,
        type === "bytes" ? "b" : "j",
        // JSON as its text: a command of strings only is written as one string (with a Buffer among its
        // arguments, ioredis assembles the whole command as Buffers, which costs more than the script).
        type === "json" && text !== undefined
          ? text
          : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        expiresAt === null ? "" : String(expiresAt),
        expiresAt === null ? "" : String(physicalTtlMs(expiresAt, now)),
      );
      expiries.push(expiresAt);
    }
    const scriptKeys = [scopeKeys.index, scopeKeys.expiries];
    for (const op of write.ops) scriptKeys.push(prefix + op.key);
    const reply = (await guarded("records.write", () => RECORD_WRITE.run(client, scriptKeys, args))) as
      | number
      | unknown[];
    const written: StoredRecord[] = [];
    for (const [i, op] of write.ops.entries()) {
      // One op applied: its new version alone.
      const status = typeof reply === "number" ? "ok" : String(reply[2 * i]);
      const number = typeof reply === "number" ? reply : Number(reply[2 * i + 1]);
      if (status === "conflict") {
        throw VersionConflictError.forRecord(write.scope, op.key, op.ifVersion ?? 0, number);
      }
      if (op.kind === "put" && status === "ok") {
        written.push({
          key: op.key,
          value: op.value,
          version: number,
          updatedAt: now,
          expiresAt: expiries[i] ?? null,
        });
      }
    }
    return written;
  }

  /** Removes every record of the scope, in batches; false when it held no live record. No keyspace scan. */
  async clear(rawScope: string): Promise<boolean> {
    const scope = validateScope(rawScope);
    const { keys, client, options } = this.context;
    const now = options.clock();
    const scopeKeys = [keys.recordIndex(scope), keys.recordExpiries(scope)];
    const args = [String(now), keys.recordKeyPrefix(scope), String(CLEAR_BATCH)];
    return guarded("records.clear", async () => {
      let anyLive = false;
      for (;;) {
        const [live, left] = (await RECORD_CLEAR.run(client, scopeKeys, args)) as [number, number];
        anyLive ||= Number(live) === 1;
        if (Number(left) === 0) return anyLive;
      }
    });
  }
}

/** A record from its hash fields {value, type, version, updatedAt, expiresAt} as Buffers. */
/** The hash fields of a record, in the order `recordFrom` reads them. */
const RECORD_FIELDS = ["v", "t", "n", "u", "e"];

/** HMGET's reply when it holds a live record (a version, and no expiry or one after `now`), else null. */
function liveFields(fields: (Buffer | null)[], now: number): Buffer[] | null {
  const version = fields[2];
  const expires = fields[4];
  if (version === null || version === undefined) return null;
  if (expires !== null && expires !== undefined && expires.length > 0 && !(Number(String(expires)) > now))
    return null;
  return fields as Buffer[];
}

function recordFrom(key: string, fields: Buffer[]): StoredRecord {
  const [value, type, version, updatedAt, expiresAt] = fields;
  const expires = String(expiresAt ?? "");
  return {
    key,
    value: decodeRecordValue({
      type: String(type) === "b" ? "bytes" : "json",
      bytes: value ?? Buffer.alloc(0),
    }),
    version: Number(String(version)),
    updatedAt: Number(String(updatedAt)),
    expiresAt: expires === "" ? null : Number(expires),
  };
}

/**
 * The range's bounds as ZRANGE BYLEX arguments: `low` ('-', '[k' or '(k') and `high` ('+' or '(k'). Keys
 * with a prefix p are those from p (inclusive) up to p + 0xFF (exclusive): UTF-8 never holds the byte 0xFF.
 */
function lexBounds(range: CheckedRange): { low: Buffer; high: Buffer } {
  const { low, high } = rangeBounds(range);
  const prefix = Buffer.from(range.prefix, "utf8");
  let lowBound: { bytes: Buffer; inclusive: boolean } | null =
    low === undefined ? null : { bytes: Buffer.from(low, "utf8"), inclusive: false };
  if (prefix.byteLength > 0 && (lowBound === null || Buffer.compare(prefix, lowBound.bytes) > 0)) {
    lowBound = { bytes: prefix, inclusive: true };
  }
  let highBound: Buffer | null = high === undefined ? null : Buffer.from(high, "utf8");
  if (prefix.byteLength > 0) {
    const prefixEnd = Buffer.concat([prefix, Buffer.from([0xff])]);
    if (highBound === null || Buffer.compare(prefixEnd, highBound) < 0) highBound = prefixEnd;
  }
  return {
    low:
      lowBound === null
        ? Buffer.from("-")
        : Buffer.concat([Buffer.from(lowBound.inclusive ? "[" : "("), lowBound.bytes]),
    high: highBound === null ? Buffer.from("+") : Buffer.concat([Buffer.from("("), highBound]),
  };
}
