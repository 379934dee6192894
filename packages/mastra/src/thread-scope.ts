import {
  isStateStoreError,
  type Json,
  LIMITS,
  type RecordOp,
  type RecordStore,
  type StoredRecord,
} from "@agent-state/core";
import { MESSAGE_PREFIX, META_KEY, seqOf, timeKey } from "./layout.js";

/** The "meta" record of a thread scope: the thread itself and the counters that make paging cheap. */
export interface ThreadMeta {
  /** The thread as saved (packed with `pack`), or null while only messages name this thread id. */
  thread: Json | null;
  /** Sortable id given at the thread's first save: Mastra lists equal timestamps in first-save order. */
  seq: string | null;
  /** How many messages the scope holds. */
  count: number;
  /** How many of them belong to each resource id ("" for none). */
  resources: Record<string, number>;
}

/** One message as stored: Mastra's storage row with `content` as parsed JSON and `createdAt` in ms. */
export interface StoredMessage {
  id: string;
  role: string;
  type: string;
  createdAt: number;
  resourceId: string | null;
  content: Json;
}

export const EMPTY_META: ThreadMeta = { thread: null, seq: null, count: 0, resources: {} };

const MAX_ATTEMPTS = 50;

export function metaOf(record: StoredRecord | null | undefined): ThreadMeta {
  return record ? (record.value as unknown as ThreadMeta) : structuredClone(EMPTY_META);
}

export function messageOf(record: StoredRecord): StoredMessage {
  return record.value as unknown as StoredMessage;
}

/** Adds `delta` to a resource's message count, dropping counts that reach zero. */
export function countResource(meta: ThreadMeta, resourceId: string | null, delta: number): void {
  const key = resourceId ?? "";
  const next = (meta.resources[key] ?? 0) + delta;
  if (next === 0) delete meta.resources[key];
  else meta.resources[key] = next;
  meta.count += delta;
}

export function isConflict(error: unknown): boolean {
  return isStateStoreError(error) && error.code === "VERSION_CONFLICT";
}

/**
 * Writes message ops to a thread scope, then updates its meta: `change` gets the current meta (a copy it
 * may edit) and returns the call's result, or null to leave the meta as it is. The ops go first, in plain
 * (non-atomic) writes of up to 100 ops: on DynamoDB those cost 1 WCU per KB where a transaction costs 2, and
 * records written by a transaction make every later page read of them check it serializably
 * (TransactGetItems, 2 RCU per 4 KB). The meta write is conditioned on its version; a concurrent writer
 * makes it read and apply `change` again. A crash between the two leaves the messages written and the
 * thread's counters short by them (see the README).
 */
export async function changeThread<T>(
  records: RecordStore,
  scope: string,
  ops: RecordOp[],
  change: (meta: ThreadMeta, exists: boolean) => T | null,
): Promise<T | undefined> {
  for (let i = 0; i < ops.length; i += LIMITS.maxRecordOpsPerWrite) {
    await records.write(scope, ops.slice(i, i + LIMITS.maxRecordOpsPerWrite));
  }
  for (let attempt = 1; ; attempt++) {
    const [current] = await records.get(scope, [META_KEY]);
    const meta = metaOf(current);
    const result = change(meta, current != null);
    if (result === null) return undefined;
    try {
      await records.write(scope, [
        { put: META_KEY, value: meta as unknown as Json, ifVersion: current?.version ?? 0 },
      ]);
      return result;
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

export interface ScanOptions {
  order: "asc" | "desc";
  /** Exclusive key bounds. */
  after?: string;
  before?: string;
}

/** A thread's message records in key order, fetched a page at a time as the caller consumes them. */
export async function* scanMessages(
  records: RecordStore,
  scope: string,
  options: ScanOptions,
  pageSize = 100,
): AsyncGenerator<StoredRecord> {
  let cursor: string | undefined;
  do {
    const page = await records.range(scope, {
      prefix: MESSAGE_PREFIX,
      order: options.order,
      limit: pageSize,
      ...(options.after !== undefined && { after: options.after }),
      ...(options.before !== undefined && { before: options.before }),
      ...(cursor !== undefined && { cursor }),
    });
    for (const record of page.items) yield record;
    cursor = page.cursor ?? undefined;
    pageSize = LIMITS.maxPageSize;
  } while (cursor !== undefined);
}

/** Key bounds for Mastra's `dateRange` filter (inclusive unless `*Exclusive`), on whole milliseconds. */
export function dateBounds(range?: {
  start?: Date;
  end?: Date;
  startExclusive?: boolean;
  endExclusive?: boolean;
}): { after?: string; before?: string } {
  const bounds: { after?: string; before?: string } = {};
  if (range?.start) {
    const start = new Date(range.start).getTime();
    if (Number.isFinite(start))
      bounds.after = `${MESSAGE_PREFIX}${timeKey(range.startExclusive ? start + 1 : start)}`;
  }
  if (range?.end) {
    const end = new Date(range.end).getTime();
    if (Number.isFinite(end))
      bounds.before = `${MESSAGE_PREFIX}${timeKey(range.endExclusive ? end : end + 1)}`;
  }
  return bounds;
}

/**
 * Mastra's message order: by createdAt in `direction`, equal times in first-save order (its in-memory
 * store sorts a Map's insertion order stably, for either direction).
 */
export function compareMessages(direction: "ASC" | "DESC") {
  return (a: StoredRecord, b: StoredRecord): number => {
    const byTime = messageOf(a).createdAt - messageOf(b).createdAt;
    if (byTime !== 0) return direction === "ASC" ? byTime : -byTime;
    const sa = seqOf(a.key);
    const sb = seqOf(b.key);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  };
}

/**
 * The first `need` messages of a scan in Mastra's order (all of them when fewer), reading past `need` only
 * to finish the group of equal times at the cut, whose order a key-order scan cannot know in descending order.
 */
export async function firstInOrder(
  scan: AsyncGenerator<StoredRecord>,
  need: number,
  keep: (message: StoredMessage) => boolean,
  direction: "ASC" | "DESC",
): Promise<StoredRecord[]> {
  const taken: StoredRecord[] = [];
  let cutTime: number | undefined;
  for await (const record of scan) {
    const message = messageOf(record);
    if (!keep(message)) continue;
    if (cutTime !== undefined && message.createdAt !== cutTime) break;
    taken.push(record);
    if (cutTime === undefined && taken.length >= need) cutTime = message.createdAt;
  }
  await scan.return(undefined);
  return taken.sort(compareMessages(direction));
}
