import {
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
import { indexKeys, threadKeys } from "./keys.js";
import { listCheckpoints } from "./list.js";
import {
  type AgentStateSaverOptions,
  indexScope,
  type ResolvedSaverOptions,
  resolveSaverOptions,
  threadScope,
} from "./options.js";
import { PointerCache } from "./pointer-cache.js";
import { configOf, TupleReader } from "./read.js";
import { type BlobPointers, encodeHead, encodeIndexEntry, encodeWrite } from "./records.js";
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

  constructor(store: StateStore, opts: AgentStateSaverOptions = {}) {
    super(opts.serde);
    this.o = resolveSaverOptions(store, opts);
    this.reader = new TupleReader(this.o, this.serde);
  }

  /** The checkpoint by `checkpoint_id`, or the namespace's latest: two round trips whatever the thread's length. */
  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as unknown;
    if (threadId === undefined) return undefined;
    const thread = requireString("thread_id", threadId);
    const ns = namespaceOf(config);
    const id = getCheckpointId(config);
    let located: Parameters<TupleReader["assemble"]>[1];
    if (id) {
      const head = await this.reader.head(thread, ns, id);
      if (!head) return undefined;
      located = [{ ns, id, head }];
    } else {
      const latest = await this.reader.latest(thread, ns);
      if (!latest) return undefined;
      located = [latest];
    }
    const [tuple] = await this.reader.assemble(thread, located);
    for (const l of located) this.pointers.set(thread, l.ns, l.id, l.head.pointers);
    return tuple;
  }

  /** Checkpoints newest first, of one namespace, one thread or (with the cross-thread index) every thread. */
  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    yield* listCheckpoints(this.o, this.reader, config, options);
  }

  /**
   * Writes the blobs of the channels in `newVersions` (and the thread timeline and cross-thread index
   * entries), then the checkpoint head, which is what makes the checkpoint visible: two round trips.
   */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const thread = requireString("thread_id", config.configurable?.thread_id);
    const ns = namespaceOf(config);
    const id = requireString("checkpoint.id", checkpoint.id);
    const parentId = getCheckpointId(config) || undefined;
    const scope = threadScope(this.o, thread);
    const now = this.o.clock();

    const pointers: BlobPointers = {};
    const toWrite: { channel: string; version: string | number; value: unknown }[] = [];
    const carried = Object.keys(checkpoint.channel_versions).filter((ch) => !Object.hasOwn(newVersions, ch));
    const parentPointers =
      carried.length > 0 && parentId !== undefined ? await this.parentPointers(thread, ns, parentId) : {};
    for (const channel of carried) {
      const p = parentPointers[channel];
      if (!p) continue;
      const value = checkpoint.channel_values[channel];
      // A blob must outlive every checkpoint that points at it: rewrite one that would expire first.
      const expiresSoon =
        this.o.ttlSeconds !== undefined &&
        p.expiresAt !== null &&
        p.expiresAt < now + this.o.ttlSeconds * 1000;
      if (expiresSoon && value !== undefined) toWrite.push({ channel, version: p.version, value });
      else pointers[channel] = p;
    }
    for (const [channel, version] of Object.entries(newVersions)) {
      const value = checkpoint.channel_values[channel];
      if (value !== undefined) toWrite.push({ channel, version, value });
    }

    const blobOps = await Promise.all(
      toWrite.map(async ({ channel, version, value }) => {
        const [type, bytes] = await this.serde.dumpsTyped(value);
        return {
          channel,
          version,
          type,
          op: this.put_(threadKeys.blob(ns, id, channel, String(version)), bytes, this.o.blobTtlSeconds),
        };
      }),
    );
    const { channel_values: _values, ...rest } = checkpoint;
    const [[checkpointType, checkpointBytes], [metadataType, metadataBytes]] = await Promise.all([
      this.serde.dumpsTyped({ ...rest, channel_values: {} }),
      this.serde.dumpsTyped(metadata),
    ]);

    const firstPhase: Promise<StoredRecord[]>[] = [
      writeInBatches(this.o.store.records, scope, [
        ...blobOps.map((b) => b.op),
        this.put_(threadKeys.timeline(id, ns), { ns, id }, this.o.ttlSeconds),
      ]),
    ];
    if (this.o.crossThreadIndex) {
      const entry = encodeIndexEntry({ threadId: thread, ns, id, metadataType, metadataBytes });
      firstPhase.push(
        writeInBatches(this.o.store.records, indexScope(this.o), [
          this.put_(indexKeys.entry(id, thread, ns), entry, this.o.ttlSeconds),
        ]),
      );
    }
    const [written] = await Promise.all(firstPhase);
    blobOps.forEach((b, i) => {
      pointers[b.channel] = {
        writer: id,
        version: b.version,
        type: b.type,
        expiresAt: written?.[i]?.expiresAt ?? null,
      };
    });

    const head = encodeHead({
      id,
      parentId,
      checkpointType,
      checkpointBytes,
      metadataType,
      metadataBytes,
      pointers,
    });
    await this.o.store.records.write(scope, [
      this.put_(threadKeys.checkpoint(ns, id), head, this.o.ttlSeconds),
    ]);
    this.pointers.set(thread, ns, id, pointers);
    return configOf(thread, ns, id);
  }

  /**
   * Stores a task's writes in one atomic batch (up to 100; more go in several). A regular write already
   * stored for the same task and index is kept (the first one wins); special channels (errors, interrupts,
   * resumes) replace theirs.
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
    const scope = threadScope(this.o, thread);
    let ops: RecordOp[] = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const idx = WRITES_IDX_MAP[channel] ?? i;
        const [type, bytes] = await this.serde.dumpsTyped(value);
        const op = this.put_(
          threadKeys.write(ns, id, task, idx),
          encodeWrite({ taskId: task, channel, idx, taskPath, type, bytes }),
          this.o.ttlSeconds,
        );
        return idx >= 0 ? { ...op, ifVersion: 0 } : op;
      }),
    );
    // Optimistic: the common case is one atomic write. On a conflict, drop the regular writes already there.
    for (let attempt = 0; ops.length > 0; attempt++) {
      try {
        await writeInBatches(this.o.store.records, scope, ops, { atomic: true });
        return;
      } catch (error) {
        if (!isStateStoreError(error, "VERSION_CONFLICT") || attempt >= 4) throw error;
        const regular = ops
          .filter((op) => "put" in op && op.ifVersion === 0)
          .map((op) => ("put" in op ? op.put : op.delete));
        const existing = await this.o.store.records.get(scope, regular);
        const taken = new Set(regular.filter((_, i) => existing[i] !== null));
        ops = ops.filter((op) => !("put" in op && op.ifVersion === 0 && taken.has(op.put)));
      }
    }
  }

  /** Removes every checkpoint, blob and write of the thread, and its cross-thread index entries. */
  async deleteThread(threadId: string): Promise<void> {
    const thread = requireString("threadId", threadId);
    const scope = threadScope(this.o, thread);
    if (this.o.crossThreadIndex) {
      let cursor: string | undefined;
      do {
        const page = await this.o.store.records.range(scope, {
          prefix: threadKeys.timelinePrefix,
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor }),
        });
        const deletes = page.items.map((r): RecordOp => {
          const { ns, id } = r.value as { ns: string; id: string };
          return { delete: indexKeys.entry(id, thread, ns) };
        });
        if (deletes.length > 0) await writeInBatches(this.o.store.records, indexScope(this.o), deletes);
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
    }
    await this.o.store.records.clear(scope);
    this.pointers.dropThread(thread);
  }

  private async parentPointers(thread: string, ns: string, parentId: string): Promise<BlobPointers> {
    const cached = this.pointers.get(thread, ns, parentId);
    if (cached) return cached;
    const head = await this.reader.head(thread, ns, parentId);
    return head?.pointers ?? {};
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
