import {
  type CheckedRecordOp,
  type Page,
  parseRecordWrite,
  type RecordOp,
  type RecordRangeOptions,
  type RecordStore,
  type RecordWriteOptions,
  type StoredRecord,
  validateRecordKeys,
  validateScope,
} from "@agent-state/core";
import { type ReadPath, scopes } from "./read-path.js";

/**
 * Records with `get` through the L1 and DAX's item cache (BatchGetItem), `range` straight to DynamoDB
 * (strongly consistent: DAX's query cache is not updated by writes), and writes through DAX when its client
 * can write (conditions checked by DynamoDB). See README, "Records".
 */
export class DaxRecords implements RecordStore {
  constructor(
    private readonly direct: RecordStore,
    private readonly viaDax: RecordStore,
    private readonly path: ReadPath,
  ) {}

  /**
   * The live records, from the L1, DAX or DynamoDB (see `RecordStore.get`). A key this process wrote (or a
   * scope it cleared) within the DAX TTL window is read from DynamoDB; another process's writes through the
   * same DAX cluster show at once on DAX and after at most the L1 TTL in this process's L1.
   */
  async get(scope: string, keys: string[]): Promise<(StoredRecord | null)[]> {
    const validScope = validateScope(scope);
    const validKeys = validateRecordKeys(keys);
    if (validKeys.length === 0) return this.direct.get(validScope, validKeys);
    return this.path.read({
      scopes: [
        scopes.recordScope(validScope),
        ...new Set(validKeys.map((key) => scopes.record(validScope, key))),
      ],
      // One entry per answer (not per key): an answer is one read, so it never mixes two moments.
      l1Key: JSON.stringify(["records", validScope, validKeys]),
      viaDax: () => this.viaDax.get(validScope, validKeys),
      direct: () => this.direct.get(validScope, validKeys),
      expiresAtOf: earliestExpiry,
    });
  }

  /**
   * A page of records, always from DynamoDB with a strongly consistent Query (see `RecordStore.range`): DAX
   * would answer it from its query cache, which writes do not update, so every process would see pages up
   * to the query TTL old.
   */
  async range(scope: string, opts?: RecordRangeOptions): Promise<Page<StoredRecord>> {
    return this.direct.range(scope, opts);
  }

  /** Puts and deletes, through DAX when it can write (see `RecordStore.write`). */
  async write(scope: string, ops: RecordOp[], opts?: RecordWriteOptions): Promise<StoredRecord[]> {
    // Checked here, so that the keys recorded as written are the keys the store writes (getters read once).
    const checked = parseRecordWrite(scope, ops, opts);
    const touched = checked.ops.map((op) => scopes.record(checked.scope, op.key));
    return this.path.write(touched, () =>
      this.viaDax.write(checked.scope, checked.ops.map(toRecordOp), { atomic: checked.atomic }),
    );
  }

  /** Removes every record of the scope, the deletes through DAX when it can write (see `RecordStore.clear`). */
  async clear(scope: string): Promise<boolean> {
    const validScope = validateScope(scope);
    return this.path.write([scopes.recordScope(validScope)], () => this.viaDax.clear(validScope));
  }
}

/** When the first record of an answer expires (`Infinity`: none does); null keeps it out of the L1. */
function earliestExpiry(records: (StoredRecord | null)[]): number | null {
  let earliest = Number.POSITIVE_INFINITY;
  for (const record of records) {
    // As for sessions, an answer holding a missing record is not kept: a put elsewhere shows at once.
    if (record === null) return null;
    if (record.expiresAt !== null) earliest = Math.min(earliest, record.expiresAt);
  }
  return earliest;
}

/** A checked op back in the interface's shape (its value is already the checked copy). */
function toRecordOp(op: CheckedRecordOp): RecordOp {
  const ifVersion = op.ifVersion === undefined ? {} : { ifVersion: op.ifVersion };
  if (op.kind === "delete") return { delete: op.key, ...ifVersion };
  return {
    put: op.key,
    value: op.value,
    ...ifVersion,
    ...(op.ttlSeconds === undefined ? {} : { ttlSeconds: op.ttlSeconds }),
  };
}
