import { isDeepStrictEqual } from "node:util";
import { type Json, type Page, type StateStore, ValidationError } from "@agent-state/core";
import {
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  copyCheckpoint,
  uuid6,
} from "@langchain/langgraph-checkpoint";
import { diffJson, type JsonChange } from "./json-diff.js";
import { indexKeys } from "./keys.js";
import {
  type AgentStateSaverOptions,
  indexScope,
  type ResolvedSaverOptions,
  resolveSaverOptions,
} from "./options.js";
import { configOf, TupleReader } from "./read.js";
import { decodeThreadEntry } from "./records.js";
import { AgentStateSaver } from "./saver.js";

/** A thread in the cross-thread index, with its newest checkpoint (of the root graph when it has one). */
export interface ThreadSummary {
  threadId: string;
  latestCheckpointId: string;
  /** The namespace of that checkpoint ("" for the root graph). */
  ns: string;
  step: number | null;
  source: string | null;
}

/** One checkpoint as a list shows it. */
export interface CheckpointSummary {
  threadId: string;
  ns: string;
  checkpointId: string;
  parentId: string | null;
  /** The checkpoint's ISO timestamp. */
  ts: string;
  step: number | null;
  /** `input`, `loop`, `update` or `fork`, from the metadata. */
  source: string | null;
  /** The metadata's `writes` (what each node returned, when the graph's LangGraph version records it), as JSON. */
  writes: Json;
  /** The channels that have a value. */
  channels: string[];
  pendingWrites: number;
}

/** One checkpoint with its channel values and what changed since its parent. */
export interface CheckpointDetail extends CheckpointSummary {
  /** Channel values, as JSON (LangChain messages in their serialized `lc` form). */
  values: Record<string, Json>;
  metadata: Json;
  pendingWriteList: { taskId: string; channel: string; value: Json }[];
  /** Channels added, removed and changed since the parent (all added when there is none), sorted by name. */
  diff: {
    added: string[];
    removed: string[];
    changed: string[];
    /** The JSON paths that differ, `$` being the channel map. */
    changes: JsonChange[];
    truncated: boolean;
  };
}

/**
 * Reads LangGraph threads that an `AgentStateSaver` (with the same `scopePrefix` and `serde`) stored: threads
 * from the cross-thread index, a thread's checkpoints newest first, one checkpoint with its values and its diff
 * against its parent, and forking from a checkpoint. Read-only except for `fork`.
 */
export class ThreadInspector {
  private readonly saver: AgentStateSaver;
  private readonly reader: TupleReader;
  private readonly o: ResolvedSaverOptions;

  constructor(store: StateStore, opts: AgentStateSaverOptions = {}) {
    this.o = resolveSaverOptions(store, opts);
    this.saver = new AgentStateSaver(store, opts);
    this.reader = new TupleReader(this.o, this.saver.serde);
  }

  /**
   * One page of `limit` threads from the cross-thread index, in the order of their escaped ids, each with its
   * newest checkpoint (of the root graph; of any namespace when the root has none). Threads without a visible
   * checkpoint are left out. One range of the index, then one range per thread, in parallel.
   */
  async threads(opts: { limit?: number; cursor?: string } = {}): Promise<Page<ThreadSummary>> {
    const page = await this.o.store.records.range(indexScope(this.o), {
      prefix: indexKeys.prefix,
      limit: opts.limit ?? 100,
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    const summaries = await Promise.all(
      page.items.map(async (record): Promise<ThreadSummary | null> => {
        const { threadId } = decodeThreadEntry(record.value);
        const newest = await this.newest(threadId);
        if (!newest) return null;
        const { metadata } = newest;
        return {
          threadId,
          latestCheckpointId: newest.id,
          ns: newest.ns,
          step: typeof metadata?.step === "number" ? metadata.step : null,
          source: typeof metadata?.source === "string" ? metadata.source : null,
        };
      }),
    );
    return { items: summaries.filter((s) => s !== null), cursor: page.cursor };
  }

  /** The newest checkpoint of a thread's root graph (one range), else of any of its namespaces (a listing). */
  private async newest(
    threadId: string,
  ): Promise<{ id: string; ns: string; metadata: CheckpointMetadata | undefined } | undefined> {
    const root = await this.reader.latest(threadId, "");
    if (root) {
      const metadata = (await this.reader.metadata(root.head.metadataType, root.head.metadataBytes)) as
        | CheckpointMetadata
        | undefined;
      return { id: root.id, ns: "", metadata };
    }
    for await (const tuple of this.saver.list({ configurable: { thread_id: threadId } }, { limit: 1 })) {
      const { checkpoint_ns: ns, checkpoint_id: id } = tuple.config.configurable ?? {};
      return { id: String(id), ns: String(ns ?? ""), metadata: tuple.metadata };
    }
    return undefined;
  }

  /** The thread's checkpoints of every namespace, newest first; `cursor` is the last checkpoint id of the previous page. */
  async checkpoints(
    threadId: string,
    opts: { limit?: number; cursor?: string } = {},
  ): Promise<Page<CheckpointSummary>> {
    const limit = opts.limit ?? 20;
    const items: CheckpointSummary[] = [];
    const listing = this.saver.list(
      { configurable: { thread_id: threadId } },
      {
        limit: limit + 1,
        ...(opts.cursor === undefined ? {} : { before: { configurable: { checkpoint_id: opts.cursor } } }),
      },
    );
    for await (const tuple of listing) items.push(summarize(tuple));
    const more = items.length > limit;
    const pageItems = items.slice(0, limit);
    return { items: pageItems, cursor: more ? (pageItems.at(-1)?.checkpointId ?? null) : null };
  }

  /** One checkpoint with its values and its diff against its parent, or null when there is no such checkpoint. */
  async checkpoint(threadId: string, checkpointId: string, ns = ""): Promise<CheckpointDetail | null> {
    const tuple = await this.saver.getTuple(configOf(threadId, ns, checkpointId));
    if (!tuple) return null;
    const parentId = tuple.parentConfig?.configurable?.checkpoint_id as string | undefined;
    const parent =
      parentId === undefined ? undefined : await this.saver.getTuple(configOf(threadId, ns, parentId));
    const values = toJson(tuple.checkpoint.channel_values) as Record<string, Json>;
    const before = parent ? (toJson(parent.checkpoint.channel_values) as Record<string, Json>) : {};
    const { changes, truncated } = diffJson(before, values);
    // Sorted, so the lists read the same whatever order a backend stored the channels in.
    const channels = (record: Record<string, Json>) => new Set(Object.keys(record).sort());
    const [had, has] = [channels(before), channels(values)];
    return {
      ...summarize(tuple),
      values,
      metadata: toJson(tuple.metadata ?? null),
      pendingWriteList: (tuple.pendingWrites ?? []).map(([taskId, channel, value]) => ({
        taskId,
        channel,
        value: toJson(value),
      })),
      diff: {
        added: [...has].filter((c) => !had.has(c)),
        removed: [...had].filter((c) => !has.has(c)),
        changed: [...has].filter((c) => had.has(c) && !isDeepStrictEqual(before[c], values[c])),
        changes,
        truncated,
      },
    };
  }

  /**
   * Forks the thread from a checkpoint as LangGraph's `updateState` does: a new checkpoint whose parent is the
   * chosen one, with its channel values, `values` replacing whole channels (no reducers run: the graph is not
   * here), versions of the replaced channels bumped and metadata `{ source: "update", step: parent's + 1 }`. Being the newest checkpoint of its namespace, it is where the next run
   * of the thread continues. Returns the new checkpoint's id, or null when the chosen one does not exist.
   */
  async fork(
    threadId: string,
    checkpointId: string,
    opts: { ns?: string; values?: Record<string, Json> } = {},
  ): Promise<{ checkpointId: string; parentId: string } | null> {
    const ns = opts.ns ?? "";
    const tuple = await this.saver.getTuple(configOf(threadId, ns, checkpointId));
    if (!tuple) return null;
    const checkpoint: Checkpoint = copyCheckpoint(tuple.checkpoint);
    checkpoint.id = uuid6(-1);
    checkpoint.ts = new Date(this.o.clock()).toISOString();
    const newVersions: Record<string, number> = {};
    const values = opts.values ?? {};
    for (const [channel, value] of Object.entries(values)) {
      const current = checkpoint.channel_versions[channel];
      if (current !== undefined && typeof current !== "number") {
        throw new ValidationError(
          `values.${channel}`,
          "the channel has a string version; cannot bump it here",
        );
      }
      const next = this.saver.getNextVersion(current);
      checkpoint.channel_values[channel] = value;
      checkpoint.channel_versions[channel] = next;
      newVersions[channel] = next;
    }
    const parentStep = typeof tuple.metadata?.step === "number" ? tuple.metadata.step : -1;
    const metadata: CheckpointMetadata = {
      source: "update",
      step: parentStep + 1,
      parents: tuple.metadata?.parents ?? {},
    };
    const written = await this.saver.put(
      configOf(threadId, ns, checkpointId),
      checkpoint,
      metadata,
      newVersions,
    );
    return { checkpointId: written.configurable?.checkpoint_id as string, parentId: checkpointId };
  }
}

function summarize(tuple: CheckpointTuple): CheckpointSummary {
  const c = tuple.config.configurable ?? {};
  const metadata = tuple.metadata;
  return {
    threadId: c.thread_id as string,
    ns: (c.checkpoint_ns as string | undefined) ?? "",
    checkpointId: c.checkpoint_id as string,
    parentId: (tuple.parentConfig?.configurable?.checkpoint_id as string | undefined) ?? null,
    ts: tuple.checkpoint.ts,
    step: typeof metadata?.step === "number" ? metadata.step : null,
    source: typeof metadata?.source === "string" ? metadata.source : null,
    writes: toJson((metadata as { writes?: unknown } | undefined)?.writes ?? null),
    channels: Object.keys(tuple.checkpoint.channel_values),
    pendingWrites: tuple.pendingWrites?.length ?? 0,
  };
}

/**
 * A value as JSON: objects with `toJSON` (LangChain messages) in their own form, bytes as
 * `{ $bytes: <base64> }`, bigints as strings, `undefined` and functions dropped.
 */
export function toJson(value: unknown): Json {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString("base64") };
    return v;
  });
  return text === undefined ? null : (JSON.parse(text) as Json);
}
