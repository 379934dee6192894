import { isDeepStrictEqual } from "node:util";
import { type StoredRecord, ValidationError } from "@agent-state/core";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointListOptions, CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { idSegmentOf, indexKeys, isHeadKey, segment, threadKeys } from "./keys.js";
import { indexScope, type ResolvedSaverOptions, threadScope } from "./options.js";
import {
  type Located,
  type LocatedWithWrites,
  type Prefetched,
  sortWrites,
  type TupleReader,
  writesKey,
} from "./read.js";
import { type BlobPointers, decodeTaskWrites, decodeThreadEntry, type StoredWrite } from "./records.js";

const PAGE = 100;

/**
 * `list`, newest first. With a thread and a namespace it ranges that namespace's heads; with a thread only,
 * the heads of each of its namespaces, merged; with no thread, thread after thread from the cross-thread index
 * (in the order of their escaped ids), each newest first. `filter` matches metadata keys by deep equality, in
 * the client.
 */
export async function* listCheckpoints(
  o: ResolvedSaverOptions,
  reader: TupleReader,
  config: RunnableConfig,
  options: CheckpointListOptions,
  guessOf?: (threadId: string, ns: string) => { id: string; pointers: BlobPointers } | undefined,
): AsyncGenerator<CheckpointTuple> {
  const c = config.configurable ?? {};
  const threadId = optionalString("thread_id", c.thread_id);
  const ns = optionalString("checkpoint_ns", c.checkpoint_ns);
  const onlyId = optionalString("checkpoint_id", c.checkpoint_id) || undefined;
  const beforeId =
    optionalString("before.checkpoint_id", options.before?.configurable?.checkpoint_id) || undefined;
  const filter = options.filter ?? {};
  const hasFilter = Object.keys(filter).length > 0;
  let remaining = options.limit ?? Number.POSITIVE_INFINITY;
  const pageSize = () => (hasFilter || onlyId ? PAGE : Math.max(1, Math.min(remaining, PAGE)));
  const matches = async (type: string, bytes: Uint8Array) =>
    !hasFilter || matchesFilter(await reader.metadata(type, bytes), filter);

  if (threadId === undefined && !o.crossThreadIndex) {
    throw new ValidationError(
      "config.configurable.thread_id",
      "is required: this saver keeps no cross-thread index",
    );
  }
  /** Picks the candidates that match, assembles them in one batch per thread, and yields them in order. */
  async function* emit(
    candidates: (Located & { threadId: string })[],
    prefetched?: Prefetched,
  ): AsyncGenerator<CheckpointTuple> {
    const picked: typeof candidates = [];
    for (const l of candidates) {
      if (picked.length >= remaining) break;
      if (await matches(l.head.metadataType, l.head.metadataBytes)) picked.push(l);
    }
    for (const tuple of await assembleInOrder(reader, picked, prefetched)) {
      yield tuple;
      remaining -= 1;
    }
  }

  if (threadId === undefined) {
    for await (const thread of indexedThreads(o)) {
      const listing = listCheckpoints(
        o,
        reader,
        { configurable: { ...c, thread_id: thread } },
        { ...options, limit: remaining },
        guessOf,
      );
      for await (const tuple of listing) {
        yield tuple;
        remaining -= 1;
      }
      if (remaining <= 0) return;
    }
    return;
  }
  if (ns === undefined) {
    for await (const batch of mergedHeads(o, reader, threadId, beforeId, pageSize)) {
      yield* emit(
        batch.filter((l) => onlyId === undefined || l.id === onlyId).map((l) => ({ ...l, threadId })),
        { records: new Map(), writes: writesOf(batch) },
      );
      if (remaining <= 0) return;
    }
    return;
  }
  let cursor: string | undefined;
  // One namespace of one thread: a descending range meets each checkpoint's writes just before its head, so
  // a page holds its checkpoints' writes (those of the page's last head, or more, carry over to the next
  // page). The first page also reads, in parallel, the records holding the values that the latest checkpoint
  // this saver saw carries over: one round trip per page when they cover it.
  const pending: StoredRecord[] = [];
  while (remaining > 0) {
    const size = pageSize();
    const guess = cursor === undefined ? guessOf?.(threadId, ns) : undefined;
    const [page, sources] = await Promise.all([
      // Room for the page's writes too (a record per task), as many as its heads and some.
      pageOf(o, threadId, ns, beforeId, Math.min(1000, size * 2 + 8), cursor),
      guess ? reader.fetch(threadId, reader.sourceKeys(threadId, ns, guess.id, guess.pointers)) : undefined,
    ]);
    const found = headsOfPage(reader, ns, page.items, pending);
    yield* emit(
      found.filter((l) => onlyId === undefined || l.id === onlyId).map((l) => ({ ...l, threadId })),
      { records: sources ?? new Map(), writes: writesOf(found) },
    );
    cursor = page.cursor ?? undefined;
    if (cursor === undefined) return;
  }
}

/** The threads in the cross-thread index, page by page (in the order of their escaped ids). */
export async function* indexedThreads(o: ResolvedSaverOptions): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await o.store.records.range(indexScope(o), {
      prefix: indexKeys.prefix,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const record of page.items) yield decodeThreadEntry(record.value).threadId;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
}

/**
 * The visible heads of a descending page over a namespace's `c/<ns>/` keys, each with its pending writes: a
 * checkpoint's writes come just before its head, so those met since the previous head are its own (`pending`
 * carries them from one page to the next).
 */
function headsOfPage(
  reader: TupleReader,
  ns: string,
  items: StoredRecord[],
  pending: StoredRecord[],
): LocatedWithWrites[] {
  const prefix = threadKeys.checkpointPrefix(ns);
  const found: LocatedWithWrites[] = [];
  for (const record of items) {
    if (!isHeadKey(record.key)) {
      pending.push(record);
      continue;
    }
    const head = reader.decode(record);
    if (head) {
      const idSegment = idSegmentOf(record.key, prefix);
      const own = pending.filter((w) => idSegmentOf(w.key, prefix) === idSegment);
      const writes = sortWrites(own.flatMap((w) => decodeTaskWrites(w.value)));
      found.push({ ns, id: head.id, head, writes });
    }
    pending.length = 0;
  }
  return found;
}

/** Checkpoints' writes by `writesKey`, as `Prefetched.writes`. */
function writesOf(located: LocatedWithWrites[]): Map<string, StoredWrite[]> {
  return new Map(located.map((l) => [writesKey(l.ns, l.id), l.writes]));
}

/** The namespaces of a thread (from its namespace entries). */
export async function namespacesOf(o: ResolvedSaverOptions, threadId: string): Promise<string[]> {
  const namespaces: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await o.store.records.range(threadScope(o, threadId), {
      prefix: threadKeys.namespacePrefix,
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const r of page.items) namespaces.push((r.value as { ns: string }).ns);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return namespaces;
}

/**
 * The heads of every namespace of a thread, newest first (by checkpoint id, then namespace, as a timeline
 * would order them), in batches of `pageSize()`: one range per namespace at a time, in parallel.
 */
async function* mergedHeads(
  o: ResolvedSaverOptions,
  reader: TupleReader,
  threadId: string,
  beforeId: string | undefined,
  pageSize: () => number,
): AsyncGenerator<LocatedWithWrites[]> {
  const streams = (await namespacesOf(o, threadId)).map((ns) => ({
    ns,
    buffer: [] as LocatedWithWrites[],
    pending: [] as StoredRecord[],
    cursor: undefined as string | undefined,
    done: false,
  }));
  const order = (l: Located) => [segment(l.id), segment(l.ns)] as const;
  const newer = (a: Located, b: Located) => {
    const [ai, an] = order(a);
    const [bi, bn] = order(b);
    return ai !== bi ? ai > bi : an > bn;
  };
  for (;;) {
    await Promise.all(
      streams
        .filter((s) => s.buffer.length === 0 && !s.done)
        .map(async (s) => {
          const page = await o.store.records.range(threadScope(o, threadId), {
            prefix: threadKeys.checkpointPrefix(s.ns),
            order: "desc",
            limit: PAGE,
            ...(beforeId === undefined ? {} : { before: threadKeys.checkpoint(s.ns, beforeId) }),
            ...(s.cursor === undefined ? {} : { cursor: s.cursor }),
          });
          s.buffer.push(...headsOfPage(reader, s.ns, page.items, s.pending));
          s.cursor = page.cursor ?? undefined;
          s.done = s.cursor === undefined;
        }),
    );
    const batch: LocatedWithWrites[] = [];
    const want = pageSize();
    while (batch.length < want && !streams.some((s) => s.buffer.length === 0 && !s.done)) {
      let best: (typeof streams)[number] | undefined;
      for (const s of streams) {
        const first = s.buffer[0];
        const top = best?.buffer[0];
        if (first !== undefined && (top === undefined || newer(first, top))) best = s;
      }
      const next = best?.buffer.shift();
      if (next === undefined) break;
      batch.push(next);
    }
    if (batch.length > 0) yield batch;
    if (streams.every((s) => s.done && s.buffer.length === 0)) return;
  }
}

function pageOf(
  o: ResolvedSaverOptions,
  threadId: string,
  ns: string,
  beforeId: string | undefined,
  limit: number,
  cursor: string | undefined,
) {
  return o.store.records.range(threadScope(o, threadId), {
    order: "desc",
    limit,
    ...(cursor === undefined ? {} : { cursor }),
    prefix: threadKeys.checkpointPrefix(ns),
    ...(beforeId === undefined ? {} : { before: threadKeys.checkpoint(ns, beforeId) }),
  });
}

async function assembleInOrder(
  reader: TupleReader,
  picked: (Located & { threadId: string })[],
  prefetched?: Prefetched,
) {
  const byThread = groupByThread(picked);
  const tuples = new Map<Located, CheckpointTuple>();
  await Promise.all(
    [...byThread].map(async ([threadId, list]) => {
      const assembled = await reader.assemble(threadId, list, prefetched);
      list.forEach((l, i) => {
        const t = assembled[i];
        if (t) tuples.set(l, t);
      });
    }),
  );
  return picked.flatMap((l) => tuples.get(l) ?? []);
}

function groupByThread<T extends { threadId: string }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(item.threadId) ?? [];
    list.push(item);
    groups.set(item.threadId, list);
  }
  return groups;
}

function matchesFilter(metadata: unknown, filter: Record<string, unknown>): boolean {
  const m = (metadata ?? {}) as Record<string, unknown>;
  return Object.entries(filter).every(([key, value]) => isDeepStrictEqual(m[key], value));
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ValidationError(field, "must be a string");
  return value;
}
