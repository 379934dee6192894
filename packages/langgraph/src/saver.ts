import {
  BoundedMap,
  isStateStoreError,
  type RecordOp,
  type StateStore,
  type StoredRecord,
  ValidationError,
} from "@agent-state/core";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  getCheckpointId,
  type PendingWrite,
  WRITES_IDX_MAP,
} from "@langchain/langgraph-checkpoint";
import { whileInFlight } from "./in-flight.js";
import { indexKeys, threadKeys } from "./keys.js";
import { checkpointRecords, copyThreadRecords, type PruneOptions, pruneThread } from "./lifecycle.js";
import { listCheckpoints } from "./list.js";
import {
  type AgentStateSaverOptions,
  indexScope,
  type ResolvedSaverOptions,
  resolveSaverOptions,
  threadScope,
} from "./options.js";
import { PointerCache } from "./pointer-cache.js";
import { configOf, type Located, type Prefetched, TupleReader, writesKey } from "./read.js";
import {
  type BlobPointers,
  decodeHead,
  decodeTaskWrites,
  encodeHead,
  encodeTaskWrites,
  type StoredWrite,
} from "./records.js";
import { ValueCache } from "./value-cache.js";
import { writeInBatches } from "./write-batches.js";

/**
 * A LangGraph checkpointer on any `StateStore`'s records: one scope per thread, a checkpoint head per
 * checkpoint, one immutable blob per channel version (a put writes only the channels in `newVersions`),
 * pending writes per task. See the package README for the layout and what each call costs.
 */
export class AgentStateSaver extends BaseCheckpointSaver {
  private readonly o: ResolvedSaverOptions;
  private readonly reader: TupleReader;
  private readonly pointers = new PointerCache(1000);
  private readonly values: ValueCache;
  /**
   * Entries this saver wrote (a thread's namespace entries, its cross-thread index entry), by `entryKey`:
   * when the entry expires (ms), or null.
   */
  private readonly entries = new BoundedMap<string, number | null>(1000);

  constructor(store: StateStore, opts: AgentStateSaverOptions = {}) {
    super(opts.serde);
    this.o = resolveSaverOptions(store, opts);
    this.values = new ValueCache(this.o.valueCacheBytes);
    this.reader = new TupleReader(this.o, this.serde, this.values);
  }

  /**
   * The checkpoint by `checkpoint_id`, or the namespace's latest. One range reads the head with its pending
   * writes; when this saver knows the checkpoint (it put or read it, or for the latest: the latest it saw is
   * still the latest) the records holding values it carries over are read in parallel, and the ones it holds
   * (its value cache) not at all: one request, one round trip. Otherwise two round trips, whatever the
   * thread's length.
   */
  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as unknown;
    if (threadId === undefined) return undefined;
    const thread = requireString("thread_id", threadId);
    const ns = namespaceOf(config);
    const id = getCheckpointId(config);
    // The checkpoint and its writes are one range; the records holding values it carries over are read in
    // parallel when this saver knows the checkpoint (and does not hold those values already).
    const guess = id ? this.pointers.known(thread, ns, id) : this.pointers.latest(thread, ns);
    const sources = guess ? this.reader.sourceKeys(thread, ns, guess.id, guess.pointers) : [];
    const [located, records] = await Promise.all([
      id ? this.reader.checkpoint(thread, ns, id) : this.reader.latest(thread, ns),
      sources.length > 0 ? this.reader.fetch(thread, sources) : new Map<string, StoredRecord | null>(),
    ]);
    if (!located) return undefined;
    const prefetched: Prefetched = {
      records,
      writes: new Map([[writesKey(ns, located.id), located.writes]]),
    };
    const [tuple] = await this.reader.assemble(thread, [located], prefetched);
    this.pointers.set(thread, ns, located.id, located.head.pointers);
    if (!id) this.pointers.setLatest(thread, ns, located.id);
    const { visibleUntil } = located.head;
    const ttlMs = (this.o.ttlSeconds ?? 0) * 1000;
    if (tuple && this.o.refreshOnRead && visibleUntil !== null && visibleUntil < this.o.clock() + ttlMs / 2) {
      await this.refresh(thread, ns, located, tuple);
    }
    return tuple;
  }

  /** Checkpoints newest first, of one namespace, one thread or (with the cross-thread index) every thread. */
  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    yield* listCheckpoints(this.o, this.reader, config, options, (thread, ns) =>
      this.pointers.latest(thread, ns),
    );
  }

  /**
   * Writes the checkpoint head, holding the values of the channels in `newVersions` (what makes the checkpoint
   * visible, all at once), with the namespace's entry the first time this saver puts in it: one request. The
   * first put of a thread by this saver also writes the thread's cross-thread index entry, in parallel: still
   * one round trip. A value too large to go inline is written first, as a blob record of its own (one more).
   */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    return this.putCheckpoint(config, checkpoint, metadata, newVersions, false);
  }

  /** `put`; with `refresh`, the stored checkpoint is written again whole (all values inline) with a fresh ttl. */
  private async putCheckpoint(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
    refresh: boolean,
  ): Promise<RunnableConfig> {
    const thread = requireString("thread_id", config.configurable?.thread_id);
    const ns = namespaceOf(config);
    const id = requireString("checkpoint.id", checkpoint.id);
    const parentId = getCheckpointId(config) || undefined;
    const scope = threadScope(this.o, thread);
    const now = this.o.clock();

    const pointers: BlobPointers = {};
    const toWrite: { channel: string; version: string | number; value: unknown }[] = [];
    // Shallow: every channel goes into the new head, since the parent is removed after it.
    const written =
      this.o.shallow || refresh ? { ...checkpoint.channel_versions, ...newVersions } : newVersions;
    const carried = Object.keys(checkpoint.channel_versions).filter((ch) => !Object.hasOwn(written, ch));
    const parentPointers =
      carried.length > 0 && parentId !== undefined
        ? (this.pointers.get(thread, ns, parentId) ?? (await this.readParentPointers(thread, ns, parentId)))
        : {};
    for (const channel of carried) {
      const p = parentPointers[channel];
      if (!p) continue;
      const value = checkpoint.channel_values[channel];
      // A value must outlive every checkpoint that points at it: rewrite one that would expire first.
      const expiresSoon =
        this.o.ttlSeconds !== undefined &&
        p.expiresAt !== null &&
        p.expiresAt < now + this.o.ttlSeconds * 1000;
      if (expiresSoon && value !== undefined) toWrite.push({ channel, version: p.version, value });
      else pointers[channel] = p;
    }
    for (const [channel, version] of Object.entries(written)) {
      const value = checkpoint.channel_values[channel];
      if (value !== undefined) toWrite.push({ channel, version, value });
    }

    const { channel_values: _values, ...rest } = checkpoint;
    // One after another: serializing is CPU work, and a promise per value in Promise.all only adds to it.
    const [checkpointType, checkpointBytes] = await this.serde.dumpsTyped({ ...rest, channel_values: {} });
    const [metadataType, metadataBytes] = await this.serde.dumpsTyped(metadata);
    const values: [string, Uint8Array][] = [];
    for (const w of toWrite) values.push(await this.serde.dumpsTyped(w.value));
    // Values go inline up to a budget (smallest first), so that the head stays one small item; the rest
    // are blob records written before it (the head, which names them, is the commit point).
    const order = toWrite.map((_, i) => i).sort((a, b) => sizeOf(values[a]) - sizeOf(values[b]));
    const inline: [string, Uint8Array][] = [];
    const blobOps: RecordOp[] = [];
    const blobChannels: { channel: string; version: string | number; type: string }[] = [];
    let inlineBytes = checkpointBytes.byteLength + metadataBytes.byteLength;
    for (const i of order) {
      const w = toWrite[i] as (typeof toWrite)[number];
      const [type, bytes] = values[i] as [string, Uint8Array];
      if (inlineBytes + bytes.byteLength <= INLINE_BUDGET_BYTES) {
        inlineBytes += bytes.byteLength;
        inline.push([w.channel, bytes]);
        pointers[w.channel] = { writer: id, version: w.version, type, expiresAt: null, inHead: true };
      } else {
        blobOps.push(
          this.put_(threadKeys.blob(ns, id, w.channel, String(w.version)), bytes, this.o.blobTtlSeconds),
        );
        blobChannels.push({ channel: w.channel, version: w.version, type });
      }
    }
    if (blobOps.length > 0) {
      const written = await writeInBatches(this.o.store.records, scope, blobOps);
      blobChannels.forEach((b, i) => {
        const expiresAt = written[i]?.expiresAt ?? null;
        pointers[b.channel] = { writer: id, version: b.version, type: b.type, expiresAt, inHead: false };
      });
    }
    // The head lives as long as the values it holds (twice the ttl) but counts as expired after the ttl.
    const headExpiresAt = this.o.blobTtlSeconds === undefined ? null : now + this.o.blobTtlSeconds * 1000;
    for (const [channel] of inline) {
      const p = pointers[channel];
      if (p) p.expiresAt = headExpiresAt;
    }
    const head = encodeHead({
      id,
      parentId,
      checkpointType,
      checkpointBytes,
      metadataType,
      metadataBytes,
      pointers,
      inline,
      visibleUntil: this.o.ttlSeconds === undefined ? null : now + this.o.ttlSeconds * 1000,
    });
    const writeNamespace = this.entryDue(entryKey(thread, ns), now);
    const writeThreadEntry = this.o.crossThreadIndex && this.entryDue(entryKey(thread, null), now);
    const threadEntry: Promise<StoredRecord[]> | null = writeThreadEntry
      ? this.o.store.records.write(indexScope(this.o), [
          this.put_(indexKeys.thread(thread), { threadId: thread }, this.o.blobTtlSeconds),
        ])
      : null;
    // The head is a new record (a conditional put is the cheapest write on DynamoDB); a put of a checkpoint
    // id already stored (a retried put) replaces it.
    const writeHead = async (ifVersion: 0 | undefined) => {
      const condition = ifVersion === undefined ? {} : { ifVersion };
      const headOps: RecordOp[] = [
        {
          ...this.put_(threadKeys.checkpoint(ns, id), head, this.o.blobTtlSeconds),
          ...condition,
        } as RecordOp,
      ];
      if (writeNamespace) headOps.push(this.put_(threadKeys.namespace(ns), { ns }, this.o.blobTtlSeconds));
      return this.o.store.records.write(scope, headOps);
    };
    const removable =
      this.o.shallow && !refresh && parentId !== undefined && parentId !== id
        ? checkpointRecords(this.o, scope, ns, parentId)
        : null;
    const stored = Promise.all([
      writeHead(refresh ? undefined : 0).catch((error: unknown) => {
        if (isStateStoreError(error, "VERSION_CONFLICT")) return writeHead(undefined);
        throw error;
      }),
      threadEntry,
    ]);
    // What this put wrote is what later checkpoints carry over (their put and getTuple need not read it back):
    // the caches learn it while the head is in flight, and forget it if the head is not written.
    const learning = whileInFlight(() => this.learn(thread, ns, id, pointers, toWrite, values));
    let headWritten: StoredRecord[];
    let threadEntryWritten: StoredRecord[] | null;
    try {
      [headWritten, threadEntryWritten] = await stored;
    } catch (error) {
      if (learning.cancel()) this.forget(thread, ns, id, toWrite);
      throw error;
    }
    learning.flush();
    // Only once the new head is stored: the namespace never lacks a checkpoint.
    if (removable !== null) await writeInBatches(this.o.store.records, scope, await removable);
    if (writeNamespace) this.rememberEntry(entryKey(thread, ns), headWritten[1]?.expiresAt ?? null);
    if (threadEntryWritten)
      this.rememberEntry(entryKey(thread, null), threadEntryWritten[0]?.expiresAt ?? null);
    this.pointers.setLatest(thread, ns, id);
    return configOf(thread, ns, id);
  }

  /** Caches a put's pointers and the values it wrote. */
  private learn(
    thread: string,
    ns: string,
    id: string,
    pointers: BlobPointers,
    toWrite: { channel: string; version: string | number }[],
    values: [string, Uint8Array][],
  ): void {
    this.pointers.set(thread, ns, id, pointers);
    toWrite.forEach((w, i) => {
      const bytes = values[i]?.[1];
      if (bytes) this.values.set(thread, ns, id, w.channel, w.version, bytes);
    });
  }

  /** Undoes `learn` for a put whose head may not have been written. */
  private forget(
    thread: string,
    ns: string,
    id: string,
    toWrite: { channel: string; version: string | number }[],
  ) {
    this.pointers.drop(thread, ns, id);
    for (const w of toWrite) this.values.drop(thread, ns, id, w.channel, w.version);
  }

  /**
   * Stores a task's writes in one record, in one round trip. A regular write already stored for the same
   * task and index is kept (the first one wins); special channels (errors, interrupts, resumes) replace
   * theirs (a read and a conditional write, again until no other writer got in between).
   */
  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath = "",
  ): Promise<void> {
    const thread = requireString("thread_id", config.configurable?.thread_id);
    const ns = namespaceOf(config);
    const id = requireString("checkpoint_id", config.configurable?.checkpoint_id);
    const task = requireString("taskId", taskId);
    if (writes.length === 0) return;
    const scope = threadScope(this.o, thread);
    const key = threadKeys.taskWrites(ns, id, task);
    const incoming: StoredWrite[] = [];
    for (const [i, [channel, value]] of writes.entries()) {
      const [type, bytes] = await this.serde.dumpsTyped(value);
      incoming.push({ taskId: task, channel, idx: WRITES_IDX_MAP[channel] ?? i, taskPath, type, bytes });
    }
    let expected = 0;
    let merged = incoming;
    for (let attempt = 0; ; attempt++) {
      try {
        const op = this.put_(key, encodeTaskWrites(merged), this.o.ttlSeconds);
        await this.o.store.records.write(scope, [{ ...op, ifVersion: expected } as RecordOp]);
        return;
      } catch (error) {
        if (!isStateStoreError(error, "VERSION_CONFLICT") || attempt >= 9) throw error;
        const [existing] = await this.o.store.records.get(scope, [key]);
        expected = existing?.version ?? 0;
        merged = existing ? mergeWrites(decodeTaskWrites(existing.value), incoming) : incoming;
      }
    }
  }

  /**
   * Removes every checkpoint, blob and write of the thread (one `clear` of its scope), then its cross-thread
   * index entry (one write).
   */
  async deleteThread(threadId: string): Promise<void> {
    const thread = requireString("threadId", threadId);
    await this.o.store.records.clear(threadScope(this.o, thread));
    // After the thread's records: an entry whose thread is empty lists nothing, a thread without one is unlisted.
    if (this.o.crossThreadIndex) {
      await this.o.store.records.write(indexScope(this.o), [{ delete: indexKeys.thread(thread) }]);
    }
    this.pointers.dropThread(thread);
    this.values.dropThread(thread);
    this.forgetEntries(thread);
  }

  /**
   * Removes the checkpoints of a thread older than the last `keepLast` of each namespace (or than the
   * checkpoint `before`; `checkpointNs` limits it to one namespace), with their writes, the values no kept
   * checkpoint uses and their index entries. Returns how many checkpoints it removed. Cost: reads every head
   * of the namespace once, then one batched write per 100 records removed (see README, "Lifecycle").
   */
  async prune(threadId: string, opts: PruneOptions): Promise<number> {
    const thread = requireString("threadId", threadId);
    const removed = await pruneThread(this.o, thread, opts);
    this.pointers.dropThread(thread);
    return removed;
  }

  /**
   * Copies a thread's checkpoints, values and pending writes into a new thread (which must be empty), so
   * that both continue from the same history. Returns how many checkpoints it copied. Cost: reads the
   * whole thread once, writes every record once (see README, "Lifecycle").
   */
  async copyThread(fromThreadId: string, toThreadId: string): Promise<number> {
    const from = requireString("fromThreadId", fromThreadId);
    const to = requireString("toThreadId", toThreadId);
    if (from === to) throw new ValidationError("toThreadId", "must differ from fromThreadId");
    return copyThreadRecords(this.o, from, to);
  }

  /**
   * Writes a checkpoint read past half its ttl again, whole (every value inline, so it no longer depends on
   * older heads), with a fresh ttl; its pending writes and index entry too.
   */
  private async refresh(thread: string, ns: string, located: Located, tuple: CheckpointTuple): Promise<void> {
    const scope = threadScope(this.o, thread);
    const parent = located.head.parentId;
    const config: RunnableConfig = {
      configurable: { thread_id: thread, checkpoint_ns: ns, ...(parent ? { checkpoint_id: parent } : {}) },
    };
    const checkpoint = { ...tuple.checkpoint, id: located.id };
    const [, writes] = await Promise.all([
      this.putCheckpoint(
        config,
        checkpoint,
        (tuple.metadata ?? {}) as CheckpointMetadata,
        checkpoint.channel_versions,
        true,
      ),
      this.o.store.records.range(scope, { prefix: threadKeys.writesPrefix(ns, located.id), limit: 1000 }),
    ]);
    if (writes.items.length > 0) {
      await writeInBatches(
        this.o.store.records,
        scope,
        writes.items.map((r) => this.put_(r.key, r.value, this.o.ttlSeconds)),
      );
    }
  }

  /** True when this saver has not written the entry yet, or it expires before a head written now would. */
  private entryDue(key: string, now: number): boolean {
    const expiresAt = this.entries.get(key);
    return (
      expiresAt === undefined ||
      (this.o.ttlSeconds !== undefined && expiresAt !== null && expiresAt < now + this.o.ttlSeconds * 1000)
    );
  }

  private rememberEntry(key: string, expiresAt: number | null): void {
    this.entries.set(key, expiresAt);
  }

  private forgetEntries(thread: string): void {
    const prefix = entryKey(thread, "").slice(0, -3);
    this.entries.deleteWhere((key) => key.startsWith(prefix));
  }

  /** The parent's pointers from its head (when they are not cached). */
  private async readParentPointers(thread: string, ns: string, parentId: string): Promise<BlobPointers> {
    const [record] = await this.o.store.records.get(threadScope(this.o, thread), [
      threadKeys.checkpoint(ns, parentId),
    ]);
    // The parent's values are what matter here, whether or not the parent itself still counts as visible.
    return record ? decodeHead(record.value).pointers : {};
  }

  private put_(
    key: string,
    value: RecordOp extends infer T ? (T extends { put: string; value: infer V } ? V : never) : never,
    ttlSeconds: number | undefined,
  ): RecordOp {
    return ttlSeconds === undefined ? { put: key, value } : { put: key, value, ttlSeconds };
  }
}

function namespaceOf(config: RunnableConfig): string {
  const ns = config.configurable?.checkpoint_ns as unknown;
  return ns === undefined ? "" : requireString("checkpoint_ns", ns, true);
}

function requireString(field: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== "string" || (!allowEmpty && value.length === 0)) {
    throw new ValidationError(field, "must be a non-empty string (pass it in config.configurable)");
  }
  return value;
}

/** What a head may hold inline (serialized checkpoint, metadata and values): one DynamoDB item, uncompressed. */
const INLINE_BUDGET_BYTES = 256 * 1024;

function sizeOf(value: [string, Uint8Array] | undefined): number {
  return value?.[1].byteLength ?? 0;
}

/** A task's stored writes with new ones: a regular write already stored is kept; special ones replace theirs. */
function mergeWrites(stored: StoredWrite[], incoming: StoredWrite[]): StoredWrite[] {
  const byIdx = new Map(stored.map((w) => [w.idx, w]));
  for (const w of incoming) if (w.idx < 0 || !byIdx.has(w.idx)) byIdx.set(w.idx, w);
  return [...byIdx.values()];
}

/** The key of a thread's namespace entry (`ns`) or cross-thread index entry (null) in `AgentStateSaver.entries`. */
function entryKey(thread: string, ns: string | null): string {
  return JSON.stringify([thread, ns]);
}
