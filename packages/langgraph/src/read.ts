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
import { threadKeys } from "./keys.js";
import { type ResolvedSaverOptions, threadScope } from "./options.js";
import { type CheckpointHead, decodeHead, decodeWrite, type StoredWrite } from "./records.js";

const MAX_KEYS_PER_GET = 100;
const MAX_PAGE = 1000;

/** One checkpoint to assemble: where it is and its head record. */
export interface Located {
  ns: string;
  id: string;
  head: CheckpointHead;
}

/** Reads checkpoint tuples of one thread: heads, their blobs (batched, deduplicated) and pending writes. */
export class TupleReader {
  constructor(
    private readonly o: ResolvedSaverOptions,
    private readonly serde: SerializerProtocol,
  ) {}

  /** A checkpoint's metadata from its serialized form. */
  metadata(type: string, bytes: Uint8Array): Promise<unknown> {
    return this.serde.loadsTyped(type, bytes);
  }

  /** The head of one checkpoint, or undefined. */
  async head(threadId: string, ns: string, id: string): Promise<CheckpointHead | undefined> {
    const [record] = await this.o.store.records.get(threadScope(this.o, threadId), [
      threadKeys.checkpoint(ns, id),
    ]);
    return record ? decodeHead(record.value) : undefined;
  }

  /** The newest checkpoint of a namespace: one range of one record. */
  async latest(threadId: string, ns: string): Promise<Located | undefined> {
    const prefix = threadKeys.checkpointPrefix(ns);
    const page = await this.o.store.records.range(threadScope(this.o, threadId), {
      prefix,
      order: "desc",
      limit: 1,
    });
    const record = page.items[0];
    if (!record) return undefined;
    const head = decodeHead(record.value);
    return { ns, id: head.id, head };
  }

  /** Heads by key, batched in gets of ≤ 100 keys; missing ones are left out. */
  async heads(threadId: string, wanted: { ns: string; id: string }[]): Promise<Located[]> {
    const records = await this.getMany(
      threadId,
      wanted.map((w) => threadKeys.checkpoint(w.ns, w.id)),
    );
    const found: Located[] = [];
    wanted.forEach((w, i) => {
      const record = records[i];
      if (record) found.push({ ...w, head: decodeHead(record.value) });
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
      for (const record of page.items) writes.push(decodeWrite(record.value));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    const sortKey = (w: StoredWrite) => writesSortKey(w.taskPath, w.taskId, w.idx);
    return writes.sort((a, b) => compareWritesSortKeys(sortKey(a), sortKey(b)));
  }

  /** Assembles tuples: one batched read of every blob they reference, and their writes, in parallel. */
  async assemble(threadId: string, located: Located[]): Promise<CheckpointTuple[]> {
    const blobKeys = new Set<string>();
    for (const { ns, head } of located) {
      for (const [channel, p] of Object.entries(head.pointers)) {
        blobKeys.add(threadKeys.blob(ns, p.writer, channel, String(p.version)));
      }
    }
    const keys = [...blobKeys];
    const [blobRecords, writes] = await Promise.all([
      this.getMany(threadId, keys),
      Promise.all(located.map((l) => this.writes(threadId, l.ns, l.id))),
    ]);
    const blobs = new Map<string, Uint8Array>();
    keys.forEach((key, i) => {
      const value = blobRecords[i]?.value;
      if (value instanceof Uint8Array) blobs.set(key, value);
    });
    return Promise.all(located.map((l, i) => this.tuple(threadId, l, blobs, writes[i] ?? [])));
  }

  private async tuple(
    threadId: string,
    { ns, id, head }: Located,
    blobs: Map<string, Uint8Array>,
    writes: StoredWrite[],
  ): Promise<CheckpointTuple> {
    const checkpoint = (await this.serde.loadsTyped(head.checkpointType, head.checkpointBytes)) as Checkpoint;
    const values: Record<string, unknown> = {};
    for (const [channel, p] of Object.entries(head.pointers)) {
      const bytes = blobs.get(threadKeys.blob(ns, p.writer, channel, String(p.version)));
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

export function configOf(threadId: string, ns: string, id: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id } };
}
