import { type RecordOp, type StoredRecord, ValidationError } from "@agent-state/core";
import { indexKeys, isHeadKey, segment, threadKeys } from "./keys.js";
import { namespacesOf } from "./list.js";
import { indexScope, type ResolvedSaverOptions, threadScope } from "./options.js";
import { type CheckpointHead, decodeHead, encodeHead } from "./records.js";
import { writeInBatches } from "./write-batches.js";

// Storage lifecycle of threads: pruning old checkpoints, copying a thread. Both work on records alone, so they
// behave the same on every backend; their cost is in the package README ("Lifecycle").

const PAGE = 1000;

/** Which checkpoints `prune` removes, per namespace (or in `checkpointNs` alone). */
export type PruneOptions = ({ keepLast: number } | { before: string }) & { checkpointNs?: string };

/** Every record of a range, page by page. */
async function rangeAll(
  o: ResolvedSaverOptions,
  scope: string,
  opts: { prefix: string; before?: string },
): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await o.store.records.range(scope, {
      ...opts,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    all.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

/**
 * Removes the checkpoints of a thread older than the last `keepLast` of each namespace (or older than the
 * checkpoint `before`), with their pending writes and their values no kept checkpoint still needs. A removed checkpoint whose values a kept one still uses stays as a hollow
 * head holding just those values (never listed, never returned). Returns how many checkpoints it removed.
 */
export async function pruneThread(
  o: ResolvedSaverOptions,
  thread: string,
  opts: PruneOptions,
): Promise<number> {
  if (opts === null || typeof opts !== "object") throw new ValidationError("opts", "must be an object");
  const keepLast = "keepLast" in opts ? opts.keepLast : undefined;
  const before = "before" in opts ? opts.before : undefined;
  if (keepLast !== undefined && (!Number.isSafeInteger(keepLast) || keepLast < 1)) {
    throw new ValidationError("opts.keepLast", "must be a whole number ≥ 1");
  }
  if (keepLast === undefined && (typeof before !== "string" || before.length === 0)) {
    throw new ValidationError("opts", "needs keepLast (≥ 1) or before (a checkpoint id)");
  }
  const scope = threadScope(o, thread);
  const namespaces = opts.checkpointNs === undefined ? await namespacesOf(o, thread) : [opts.checkpointNs];
  let removed = 0;
  for (const ns of namespaces) {
    // Every head of the namespace, oldest first (hollow ones included: they hold values), and their writes.
    const records = await rangeAll(o, scope, { prefix: threadKeys.checkpointPrefix(ns) });
    const heads = records.filter((r) => isHeadKey(r.key)).map((r) => decodeHead(r.value));
    const visible = heads.filter((h) => h.visibleUntil === null || h.visibleUntil > 0);
    const boundary = keepLast !== undefined ? visible[visible.length - keepLast]?.id : (before as string);
    if (boundary === undefined) continue;
    const pruned = heads.filter((h) => h.id < boundary);
    if (pruned.length === 0) continue;
    const kept = heads.filter((h) => h.id >= boundary);
    // What kept checkpoints still use: values inline in a pruned head, or blob records.
    const usedInline = new Map<string, Set<string>>();
    const usedBlobs = new Set<string>();
    for (const h of kept) {
      for (const [channel, p] of Object.entries(h.pointers)) {
        if (!p.inHead) usedBlobs.add(threadKeys.blob(ns, p.writer, channel, String(p.version)));
        else if (p.writer !== h.id) {
          const channels = usedInline.get(p.writer) ?? new Set<string>();
          channels.add(channel);
          usedInline.set(p.writer, channels);
        }
      }
    }
    // Heads first (hollowed or deleted): a write or value without its head is never read.
    const headOps: RecordOp[] = pruned.map((h): RecordOp => {
      const key = threadKeys.checkpoint(ns, h.id);
      const used = usedInline.get(h.id);
      if (!used) return { delete: key };
      return {
        put: key,
        value: hollow(h, used),
        ...(o.blobTtlSeconds ? { ttlSeconds: o.blobTtlSeconds } : {}),
      };
    });
    await writeInBatches(o.store.records, scope, headOps);
    removed += pruned.filter((h) => h.visibleUntil === null || h.visibleUntil > 0).length;
    const boundaryKey = threadKeys.checkpoint(ns, boundary);
    const writes = records.filter((r) => !isHeadKey(r.key) && r.key < boundaryKey);
    const blobs = await rangeAll(o, scope, {
      prefix: `b/${threadKeys.checkpointPrefix(ns).slice(2)}`,
      before: blobBound(ns, boundary),
    });
    const deletes: RecordOp[] = [
      ...writes.map((r): RecordOp => ({ delete: r.key })),
      ...blobs.filter((r) => !usedBlobs.has(r.key)).map((r): RecordOp => ({ delete: r.key })),
    ];
    if (deletes.length > 0) await writeInBatches(o.store.records, scope, deletes);
  }
  return removed;
}

/** The blob keys of writers before `id` sort below this bound. */
function blobBound(ns: string, id: string): string {
  return threadKeys.blob(ns, id, "", "").replace(/\/\/$/, "/");
}

/** A head that holds only these values and is never listed or returned (visible until 0). */
function hollow(head: CheckpointHead, channels: Set<string>): Uint8Array {
  return encodeHead({
    ...head,
    checkpointBytes: new Uint8Array(0),
    metadataBytes: new Uint8Array(0),
    pointers: {},
    inline: [...head.inline].filter(([channel]) => channels.has(channel)),
    visibleUntil: 0,
  });
}

/**
 * Copies every checkpoint, value and pending write of `from` into `to`, which must hold nothing yet, then
 * writes `to`'s cross-thread index entry. Values first, then heads in generations (a head only after the
 * heads holding values it uses), so the copy never shows a checkpoint missing a value.
 */
export async function copyThreadRecords(o: ResolvedSaverOptions, from: string, to: string): Promise<number> {
  const source = threadScope(o, from);
  const target = threadScope(o, to);
  const existing = await o.store.records.range(target, { limit: 1 });
  if (existing.items.length > 0)
    throw new ValidationError("toThreadId", "names a thread that already has checkpoints");
  const records = await rangeAll(o, source, { prefix: "" });
  // Heads, blobs and namespace entries live as long as the values they hold; writes as long as a checkpoint.
  const ttlOf = (key: string) =>
    isHeadKey(key) || key.startsWith("b/") || key.startsWith("n/") ? o.blobTtlSeconds : o.ttlSeconds;
  const copy = (r: StoredRecord): RecordOp => {
    const ttl = ttlOf(r.key);
    return ttl === undefined
      ? { put: r.key, value: r.value }
      : { put: r.key, value: r.value, ttlSeconds: ttl };
  };
  const heads = records.filter((r) => isHeadKey(r.key));
  await writeInBatches(o.store.records, target, records.filter((r) => !isHeadKey(r.key)).map(copy));
  // Generation of a head: 1 + the highest generation of the other heads holding values it uses.
  // Namespaces by key segment (a long one is hashed in keys), from the thread's namespace entries.
  const namespaces = new Map<string, string>();
  for (const r of records) {
    if (r.key.startsWith(threadKeys.namespacePrefix)) {
      const { ns } = r.value as { ns: string };
      namespaces.set(segment(ns), ns);
    }
  }
  const decoded = heads.map((r) => ({
    record: r,
    head: decodeHead(r.value),
    ns: namespaces.get(nsSegmentOf(r.key)) ?? "",
  }));
  const generation = new Map<string, number>();
  for (const d of decoded.sort((a, b) => (a.head.id < b.head.id ? -1 : a.head.id > b.head.id ? 1 : 0))) {
    let g = 0;
    for (const p of Object.values(d.head.pointers)) {
      if (p.inHead && p.writer !== d.head.id)
        g = Math.max(g, (generation.get(`${d.ns}\u0000${p.writer}`) ?? 0) + 1);
    }
    generation.set(`${d.ns}\u0000${d.head.id}`, g);
  }
  const byGeneration = new Map<number, typeof decoded>();
  for (const d of decoded) {
    const g = generation.get(`${d.ns}\u0000${d.head.id}`) ?? 0;
    byGeneration.set(g, [...(byGeneration.get(g) ?? []), d]);
  }
  let copied = 0;
  for (const g of [...byGeneration.keys()].sort((a, b) => a - b)) {
    const batch = byGeneration.get(g) ?? [];
    await writeInBatches(
      o.store.records,
      target,
      batch.map((d) => copy(d.record)),
    );
    copied += batch.filter((d) => d.head.visibleUntil === null || d.head.visibleUntil > 0).length;
  }
  if (o.crossThreadIndex) {
    const entry: RecordOp = { put: indexKeys.thread(to), value: { threadId: to } };
    await o.store.records.write(indexScope(o), [
      o.blobTtlSeconds === undefined ? entry : { ...entry, ttlSeconds: o.blobTtlSeconds },
    ]);
  }
  return copied;
}

/** The namespace segment of a head key `c/<ns>/<id>`. */
function nsSegmentOf(key: string): string {
  return key.slice(2, key.lastIndexOf("/"));
}

/** Deletes for a checkpoint's records (shallow mode removes the parent): its head, writes and own blob records. */
export async function checkpointRecords(
  o: ResolvedSaverOptions,
  scope: string,
  ns: string,
  id: string,
): Promise<RecordOp[]> {
  const [writes, blobs] = await Promise.all(
    [threadKeys.writesPrefix(ns, id), blobBound(ns, id)].map((prefix) =>
      o.store.records.range(scope, { prefix, limit: 1000 }),
    ),
  );
  return [
    { delete: threadKeys.checkpoint(ns, id) },
    ...[...(writes?.items ?? []), ...(blobs?.items ?? [])].map((r): RecordOp => ({ delete: r.key })),
  ];
}
