import type { StoredRecord } from "@agent-state/core";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  compareWritesSortKeys,
  maxChannelVersion,
  type SerializerProtocol,
  TASKS,
  writesSortKey,
} from "@langchain/langgraph-checkpoint";
import { idSegmentOf, isHeadKey, pastPrefix, threadKeys } from "./keys.js";
import { type ResolvedSaverOptions, threadScope } from "./options.js";
import {
  type BlobPointer,
  type BlobPointers,
  type CheckpointHead,
  decodeHead,
  decodeTaskWrites,
  type StoredWrite,
} from "./records.js";
import type { ValueCache } from "./value-cache.js";

const MAX_KEYS_PER_GET = 100;
const MAX_PAGE = 1000;

/** One checkpoint to assemble: where it is and its head record. */
export interface Located {
  ns: string;
  id: string;
  head: CheckpointHead;
}

/** A checkpoint read with its pending writes (in `writesSortKey` order). */
export interface LocatedWithWrites extends Located {
  writes: StoredWrite[];
}

/** Records and writes read ahead (in parallel with the heads), so that assembling needs no more round trips. */
export interface Prefetched {
  /** Records by key (null: absent). */
  records: Map<string, StoredRecord | null>;
  /** Pending writes by `writesKey(ns, id)`. */
  writes: Map<string, StoredWrite[]>;
}

export function writesKey(ns: string, id: string): string {
  return `${ns}\u0000${id}`;
}

/** Reads checkpoint tuples of one thread: heads, the records holding their values (batched) and pending writes. */
export class TupleReader {
  constructor(
    private readonly o: ResolvedSaverOptions,
    private readonly serde: SerializerProtocol,
    /** Values recently written or read: what it holds is not read again. */
    private readonly values?: ValueCache,
  ) {}

  /** A checkpoint's metadata from its serialized form. */
  metadata(type: string, bytes: Uint8Array): Promise<unknown> {
    return this.serde.loadsTyped(type, bytes);
  }

  /** The head in this record, or undefined when there is none or it has passed its visible life. */
  decode(record: StoredRecord | null | undefined): CheckpointHead | undefined {
    if (!record) return undefined;
    const head = decodeHead(record.value);
    return head.visibleUntil === null || head.visibleUntil > this.o.clock() ? head : undefined;
  }

  /**
   * One checkpoint with its pending writes, or undefined when it has no visible head: one range (the writes'
   * keys follow the head's), more pages only past MAX_PAGE writes records.
   */
  async checkpoint(threadId: string, ns: string, id: string): Promise<LocatedWithWrites | undefined> {
    const headKey = threadKeys.checkpoint(ns, id);
    const writesPrefix = threadKeys.writesPrefix(ns, id);
    let head: CheckpointHead | undefined;
    const writes: StoredWrite[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.o.store.records.range(threadScope(this.o, threadId), {
        prefix: headKey,
        before: pastPrefix(writesPrefix),
        limit: MAX_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const record of page.items) {
        if (record.key === headKey) head = this.decode(record);
        else if (record.key.startsWith(writesPrefix)) writes.push(...decodeTaskWrites(record.value));
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return head ? { ns, id, head, writes: sortWrites(writes) } : undefined;
  }

  /**
   * The newest checkpoint of a namespace with its pending writes, or undefined when the newest head is not
   * visible. A descending range meets the newest checkpoint's writes and then its head: one range of two
   * records in the common case (none or one writes record), more pages only when it has more.
   */
  async latest(threadId: string, ns: string): Promise<LocatedWithWrites | undefined> {
    const scope = threadScope(this.o, threadId);
    const prefix = threadKeys.checkpointPrefix(ns);
    const writesSeen: StoredRecord[] = [];
    let cursor: string | undefined;
    let limit = 2;
    for (;;) {
      const page = await this.o.store.records.range(scope, {
        prefix,
        order: "desc",
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const record of page.items) {
        if (!isHeadKey(record.key)) {
          writesSeen.push(record);
          continue;
        }
        const head = this.decode(record);
        if (!head) return undefined;
        // Writes of a checkpoint without a head (none is ever written so) are not this one's.
        const idSegment = idSegmentOf(record.key, prefix);
        const writes = writesSeen
          .filter((r) => idSegmentOf(r.key, prefix) === idSegment)
          .flatMap((r) => decodeTaskWrites(r.value));
        return { ns, id: head.id, head, writes: sortWrites(writes) };
      }
      cursor = page.cursor ?? undefined;
      if (cursor === undefined) return undefined;
      limit = MAX_PAGE;
    }
  }

  /** Heads by key, batched in gets of ≤ 100 keys; missing ones are left out. */
  async heads(threadId: string, wanted: { ns: string; id: string }[]): Promise<Located[]> {
    const records = await this.getMany(
      threadId,
      wanted.map((w) => threadKeys.checkpoint(w.ns, w.id)),
    );
    const found: Located[] = [];
    wanted.forEach((w, i) => {
      const head = this.decode(records[i]);
      if (head) found.push({ ...w, head });
    });
    return found;
  }

  /** A checkpoint's pending writes in `writesSortKey` order (task path, task id, idx). */
  async writes(threadId: string, ns: string, id: string): Promise<StoredWrite[]> {
    const scope = threadScope(this.o, threadId);
    const prefix = threadKeys.writesPrefix(ns, id);
    const writes: StoredWrite[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.o.store.records.range(scope, {
        prefix,
        limit: MAX_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const record of page.items) writes.push(...decodeTaskWrites(record.value));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return sortWrites(writes);
  }

  /**
   * Keys of the records holding the values of a head's channels, other than the head itself and those whose
   * values are cached.
   */
  sourceKeys(threadId: string, ns: string, id: string, pointers: BlobPointers): string[] {
    const keys = new Set<string>();
    for (const [channel, p] of Object.entries(pointers)) {
      if (this.values?.get(threadId, ns, p.writer, channel, p.version)) continue;
      if (!p.inHead) keys.add(threadKeys.blob(ns, p.writer, channel, String(p.version)));
      else if (p.writer !== id) keys.add(threadKeys.checkpoint(ns, p.writer));
    }
    return [...keys];
  }

  /** Records by key, in batched gets (≤ 100 keys each, in parallel). */
  async fetch(threadId: string, keys: string[]): Promise<Map<string, StoredRecord | null>> {
    const records = await this.getMany(threadId, keys);
    return new Map(keys.map((key, i) => [key, records[i] ?? null]));
  }

  /**
   * Assembles tuples: one batched read of every record holding their values (an ancestor's head for a
   * carried-over channel) and their writes, in parallel; what `prefetched` holds is not read again.
   */
  async assemble(threadId: string, located: Located[], prefetched?: Prefetched): Promise<CheckpointTuple[]> {
    const known = new Map<string, CheckpointHead>();
    for (const l of located) known.set(threadKeys.checkpoint(l.ns, l.id), l.head);
    const wanted = new Set<string>();
    for (const { ns, id, head } of located) {
      for (const key of this.sourceKeys(threadId, ns, id, head.pointers)) {
        if (!known.has(key) && !prefetched?.records.has(key)) wanted.add(key);
      }
    }
    const keys = [...wanted];
    const [fetched, writes] = await Promise.all([
      keys.length > 0 ? this.fetch(threadId, keys) : new Map<string, StoredRecord | null>(),
      Promise.all(
        located.map(
          (l) => prefetched?.writes.get(writesKey(l.ns, l.id)) ?? this.writes(threadId, l.ns, l.id),
        ),
      ),
    ]);
    const bytesOf = (ns: string, id: string, channel: string, p: BlobPointer): Uint8Array | undefined => {
      if (p.writer === id && p.inHead) return known.get(threadKeys.checkpoint(ns, id))?.inline.get(channel);
      const cached = this.values?.get(threadId, ns, p.writer, channel, p.version);
      if (cached) return cached;
      const bytes = this.storedBytes(ns, channel, p, known, fetched, prefetched);
      if (bytes) this.values?.set(threadId, ns, p.writer, channel, p.version, bytes);
      return bytes;
    };
    return Promise.all(located.map((l, i) => this.tuple(threadId, l, bytesOf, writes[i] ?? [])));
  }

  /** A carried-over or blob value from the records read for it (an ancestor's head is decoded once). */
  private storedBytes(
    ns: string,
    channel: string,
    p: BlobPointer,
    known: Map<string, CheckpointHead>,
    fetched: Map<string, StoredRecord | null>,
    prefetched: Prefetched | undefined,
  ): Uint8Array | undefined {
    if (!p.inHead) {
      const key = threadKeys.blob(ns, p.writer, channel, String(p.version));
      const value = (fetched.get(key) ?? prefetched?.records.get(key))?.value;
      return value instanceof Uint8Array ? value : undefined;
    }
    const key = threadKeys.checkpoint(ns, p.writer);
    let writer = known.get(key);
    if (writer === undefined) {
      const record = fetched.get(key) ?? prefetched?.records.get(key);
      // An ancestor's head is read for its values alone: its own visible life does not matter here.
      writer = record ? decodeHead(record.value) : undefined;
      if (writer) known.set(key, writer);
    }
    return writer?.inline.get(channel);
  }

  private async tuple(
    threadId: string,
    { ns, id, head }: Located,
    bytesOf: (ns: string, id: string, channel: string, p: BlobPointer) => Uint8Array | undefined,
    writes: StoredWrite[],
  ): Promise<CheckpointTuple> {
    const checkpoint = (await this.serde.loadsTyped(head.checkpointType, head.checkpointBytes)) as Checkpoint;
    const values: Record<string, unknown> = {};
    for (const [channel, p] of Object.entries(head.pointers)) {
      const bytes = bytesOf(ns, id, channel, p);
      if (bytes) values[channel] = await this.serde.loadsTyped(p.type, bytes);
    }
    checkpoint.channel_values = values;
    if (checkpoint.v < 4 && head.parentId !== undefined) {
      await this.migratePendingSends(checkpoint, threadId, ns, head.parentId);
    }
    const tuple: CheckpointTuple = {
      config: configOf(threadId, ns, id),
      checkpoint,
      metadata: (await this.serde.loadsTyped(head.metadataType, head.metadataBytes)) as CheckpointMetadata,
      pendingWrites: await Promise.all(
        writes.map(
          async (w): Promise<CheckpointPendingWrite> => [
            w.taskId,
            w.channel,
            await this.serde.loadsTyped(w.type, w.bytes),
          ],
        ),
      ),
    };
    if (head.parentId !== undefined) tuple.parentConfig = configOf(threadId, ns, head.parentId);
    return tuple;
  }

  /** Checkpoints before format 4 kept sends as the parent's TASKS writes; they become the TASKS channel. */
  private async migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parentId: string) {
    const sends = (await this.writes(threadId, ns, parentId)).filter((w) => w.channel === TASKS);
    checkpoint.channel_values[TASKS] = await Promise.all(
      sends.map((w) => this.serde.loadsTyped(w.type, w.bytes)),
    );
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : 1;
  }

  private async getMany(threadId: string, keys: string[]): Promise<(StoredRecord | null)[]> {
    const scope = threadScope(this.o, threadId);
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_GET) batches.push(keys.slice(i, i + MAX_KEYS_PER_GET));
    const results = await Promise.all(batches.map((batch) => this.o.store.records.get(scope, batch)));
    return results.flat();
  }
}

/** Pending writes in `writesSortKey` order (task path, task id, idx). */
export function sortWrites(writes: StoredWrite[]): StoredWrite[] {
  const sortKey = (w: StoredWrite) => writesSortKey(w.taskPath, w.taskId, w.idx);
  return writes.sort((a, b) => compareWritesSortKeys(sortKey(a), sortKey(b)));
}

export function configOf(threadId: string, ns: string, id: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id } };
}
