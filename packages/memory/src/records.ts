import {
  compareKeys,
  expiresAtFrom,
  inRange,
  isExpired,
  type Page,
  parseRecordRange,
  parseRecordWrite,
  type RecordOp,
  type RecordRangeOptions,
  type RecordStore,
  type RecordWriteOptions,
  type ResolvedCommonOptions,
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
  private readonly scopes = new Map<string, Map<string, StoredRecord>>();

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
    const matching = [...(records?.values() ?? [])]
      .filter((record) => !isLapsed(record, now) && inRange(range, record.key))
      .sort((a, b) => compareKeys(a.key, b.key));
    if (range.order === "desc") matching.reverse();
    const items = matching.slice(0, range.limit).map(copyRecord);
    return { items, cursor: rangeCursor(range, items, matching.length > range.limit) };
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
    const records = this.scopes.get(batch.scope) ?? new Map<string, StoredRecord>();
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
        records.delete(op.key);
        continue;
      }
      const record: StoredRecord = {
        key: op.key,
        value: op.value,
        version: (this.live(batch.scope, op.key, now)?.version ?? 0) + 1,
        updatedAt: now,
        expiresAt: op.ttlSeconds === undefined ? null : expiresAtFrom(now, op.ttlSeconds),
      };
      records.set(op.key, record);
      written.push(copyRecord(record));
    }
    if (records.size === 0) this.scopes.delete(batch.scope);
    if (firstFailure) throw firstFailure;
    return written;
  }

  async clear(scope: string): Promise<boolean> {
    const validScope = validateScope(scope);
    const now = this.options.clock();
    const records = this.scopes.get(validScope);
    const heldLive = [...(records?.values() ?? [])].some((record) => !isLapsed(record, now));
    this.scopes.delete(validScope);
    return heldLive;
  }

  /** Frees every expired record. */
  sweep(now: number): void {
    for (const [scope, records] of this.scopes) {
      for (const [key, record] of records) if (isLapsed(record, now)) records.delete(key);
      if (records.size === 0) this.scopes.delete(scope);
    }
  }

  /** Drops every scope (on `close`). */
  dropAll(): void {
    this.scopes.clear();
  }

  /** The live record, or null; an expired one is freed on sight. */
  private live(scope: string, key: string, now: number): StoredRecord | null {
    const records = this.scopes.get(scope);
    const record = records?.get(key);
    if (!records || !record) return null;
    if (!isLapsed(record, now)) return record;
    records.delete(key);
    return null;
  }
}

function isLapsed(record: StoredRecord, now: number): boolean {
  return record.expiresAt !== null && isExpired(record.expiresAt, now);
}

function copyRecord(record: StoredRecord): StoredRecord {
  return { ...record, value: structuredClone(record.value) };
}
