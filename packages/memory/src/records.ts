import {
  compareKeys,
  expiresAtFrom,
  isExpired,
  type Page,
  parseRecordRange,
  parseRecordWrite,
  type RecordOp,
  type RecordRangeOptions,
  type RecordStore,
  type RecordWriteOptions,
  type ResolvedCommonOptions,
  rangeBounds,
  rangeCursor,
  type StateStoreError,
  type StoredRecord,
  VersionConflictError,
  validateRecordKeys,
  validateScope,
} from "@agent-state/core";

/**
 * Records per scope in maps. Each operation runs without awaiting, so it is atomic; every value crosses the
 * boundary as a copy.
 */
export class MemoryRecordStore implements RecordStore {
  private readonly scopes = new Map<string, Scope>();

  constructor(private readonly options: ResolvedCommonOptions) {}

  async get(scope: string, keys: string[]): Promise<(StoredRecord | null)[]> {
    const validScope = validateScope(scope);
    const validKeys = validateRecordKeys(keys);
    const now = this.options.clock();
    return validKeys.map((key) => {
      const record = this.live(validScope, key, now);
      return record ? copyRecord(record) : null;
    });
  }

  async range(scope: string, opts?: RecordRangeOptions): Promise<Page<StoredRecord>> {
    const range = parseRecordRange(scope, opts);
    const now = this.options.clock();
    const records = this.scopes.get(range.scope);
    if (!records) return { items: [], cursor: null };
    const { low, high } = rangeBounds(range);
    // Start at the bound nearest the reading direction and walk until the page is full.
    const keys = records.keys;
    // Keys with the prefix are one contiguous run of the sorted keys.
    const prefixStart = firstIndexAtOrAfter(keys, range.prefix);
    const prefixEnd = search(keys, (k) => compareKeys(k, range.prefix) >= 0 && !k.startsWith(range.prefix));
    const start = Math.max(prefixStart, low === undefined ? 0 : firstIndexAfter(keys, low));
    const end = Math.min(prefixEnd, high === undefined ? keys.length : firstIndexAtOrAfter(keys, high));
    const items: StoredRecord[] = [];
    let more = false;
    const step = range.order === "asc" ? 1 : -1;
    for (let i = range.order === "asc" ? start : end - 1; i >= start && i < end; i += step) {
      const record = records.byKey.get(keys[i] as string) as StoredRecord;
      if (isLapsed(record, now)) continue;
      if (items.length === range.limit) {
        more = true;
        break;
      }
      items.push(copyRecord(record));
    }
    return { items, cursor: rangeCursor(range, items, more) };
  }

  async write(scope: string, ops: RecordOp[], opts?: RecordWriteOptions): Promise<StoredRecord[]> {
    const batch = parseRecordWrite(scope, ops, opts);
    const now = this.options.clock();
    const conflictOf = (op: (typeof batch.ops)[number]): StateStoreError | null => {
      if (op.ifVersion === undefined) return null;
      const actual = this.live(batch.scope, op.key, now)?.version ?? 0;
      return actual === op.ifVersion
        ? null
        : VersionConflictError.forRecord(batch.scope, op.key, op.ifVersion, actual);
    };
    if (batch.atomic) {
      for (const op of batch.ops) {
        const conflict = conflictOf(op);
        if (conflict) throw conflict;
      }
    }
    const records = this.scopes.get(batch.scope) ?? new Scope();
    this.scopes.set(batch.scope, records);
    const written: StoredRecord[] = [];
    let firstFailure: StateStoreError | null = null;
    for (const op of batch.ops) {
      const conflict = conflictOf(op);
      if (conflict) {
        firstFailure ??= conflict;
        continue;
      }
      if (op.kind === "delete") {
        records.remove(op.key);
        continue;
      }
      const record: StoredRecord = {
        key: op.key,
        value: op.value,
        version: (this.live(batch.scope, op.key, now)?.version ?? 0) + 1,
        updatedAt: now,
        expiresAt: op.ttlSeconds === undefined ? null : expiresAtFrom(now, op.ttlSeconds),
      };
      records.set(record);
      written.push(copyRecord(record));
    }
    if (records.byKey.size === 0) this.scopes.delete(batch.scope);
    if (firstFailure) throw firstFailure;
    return written;
  }

  async clear(scope: string): Promise<boolean> {
    const validScope = validateScope(scope);
    const now = this.options.clock();
    const records = this.scopes.get(validScope);
    const heldLive = [...(records?.byKey.values() ?? [])].some((record) => !isLapsed(record, now));
    this.scopes.delete(validScope);
    return heldLive;
  }

  /** Frees every expired record. */
  sweep(now: number): void {
    for (const [scope, records] of this.scopes) {
      for (const record of [...records.byKey.values()]) if (isLapsed(record, now)) records.remove(record.key);
      if (records.byKey.size === 0) this.scopes.delete(scope);
    }
  }

  /** Drops every scope (on `close`). */
  dropAll(): void {
    this.scopes.clear();
  }

  /** The live record, or null; an expired one is freed on sight. */
  private live(scope: string, key: string, now: number): StoredRecord | null {
    const records = this.scopes.get(scope);
    const record = records?.byKey.get(key);
    if (!records || !record) return null;
    if (!isLapsed(record, now)) return record;
    records.remove(key);
    return null;
  }
}

function isLapsed(record: StoredRecord, now: number): boolean {
  return record.expiresAt !== null && isExpired(record.expiresAt, now);
}

function copyRecord(record: StoredRecord): StoredRecord {
  return { ...record, value: structuredClone(record.value) };
}

/** One scope: records by key, and their keys kept sorted in code point order for ranges. */
class Scope {
  readonly byKey = new Map<string, StoredRecord>();
  readonly keys: string[] = [];

  set(record: StoredRecord): void {
    if (!this.byKey.has(record.key)) this.keys.splice(firstIndexAfter(this.keys, record.key), 0, record.key);
    this.byKey.set(record.key, record);
  }

  remove(key: string): void {
    if (!this.byKey.delete(key)) return;
    this.keys.splice(firstIndexAtOrAfter(this.keys, key), 1);
  }
}

/** The index of the first key above `key` in sorted `keys` (binary search). */
function firstIndexAfter(keys: string[], key: string): number {
  return search(keys, (k) => compareKeys(k, key) > 0);
}

/** The index of the first key at or above `key`. */
function firstIndexAtOrAfter(keys: string[], key: string): number {
  return search(keys, (k) => compareKeys(k, key) >= 0);
}

function search(keys: string[], isAtOrPast: (key: string) => boolean): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAtOrPast(keys[mid] as string)) high = mid;
    else low = mid + 1;
  }
  return low;
}
