import { LIMITS, type RecordOp, type RecordStore, type StoredRecord } from "@agent-state/core";

/**
 * `records.write` in as few calls as the limits allow (≤ 100 ops and ≤ `LIMITS.maxBytesPerWrite` each),
 * returning the puts' records in op order. With `atomic`, each call is atomic on its own.
 */
export async function writeInBatches(
  records: RecordStore,
  scope: string,
  ops: RecordOp[],
  opts: { atomic?: boolean } = {},
): Promise<StoredRecord[]> {
  const batches: RecordOp[][] = [];
  let current: RecordOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = "put" in op ? sizeOf(op.value) : 0;
    if (
      current.length === LIMITS.maxRecordOpsPerWrite ||
      (current.length > 0 && bytes + size > LIMITS.maxBytesPerWrite)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  const results = await Promise.all(batches.map((batch) => records.write(scope, batch, opts)));
  return results.flat();
}

function sizeOf(value: unknown): number {
  return value instanceof Uint8Array ? value.byteLength : Buffer.byteLength(JSON.stringify(value), "utf8");
}
