import type { RecordStore } from "@agent-state/core";
import type { StorageThreadType } from "@mastra/core/memory";
import { revive } from "./codec.js";
import { type Layout, META_KEY } from "./layout.js";
import { metaOf } from "./thread-scope.js";

/** Thread lookups run this many meta reads at a time. */
const PARALLEL_READS = 32;

/**
 * Adds the thread to the all-threads index and its resource's index. Written before the thread itself, so
 * an index never misses a thread; an entry whose thread is gone or moved is skipped by `readThreads`.
 */
export async function writeThreadIndex(
  records: RecordStore,
  where: Layout,
  thread: StorageThreadType,
): Promise<void> {
  await records.write(where.threads, [{ put: thread.id, value: null }]);
  if (thread.resourceId)
    await records.write(where.resourceThreads(thread.resourceId), [{ put: thread.id, value: null }]);
}

/** Removes the thread's resource index entry (and, unless `keepAll`, its all-threads entry). */
export async function removeThreadIndex(
  records: RecordStore,
  where: Layout,
  thread: StorageThreadType,
  options: { keepAll: boolean },
): Promise<void> {
  if (thread.resourceId)
    await records.write(where.resourceThreads(thread.resourceId), [{ delete: thread.id }]);
  if (!options.keepAll) await records.write(where.threads, [{ delete: thread.id }]);
}

/** Every live thread (of `resourceId`, when given) with its first-save sequence. */
export async function readThreads(
  records: RecordStore,
  where: Layout,
  resourceId: string | undefined,
): Promise<{ thread: StorageThreadType; seq: string }[]> {
  const scope = resourceId === undefined ? where.threads : where.resourceThreads(resourceId);
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await records.range(scope, { limit: 1000, ...(cursor !== undefined && { cursor }) });
    for (const record of page.items) ids.push(record.key);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  const threads: { thread: StorageThreadType; seq: string }[] = [];
  for (let i = 0; i < ids.length; i += PARALLEL_READS) {
    const metas = await Promise.all(
      ids
        .slice(i, i + PARALLEL_READS)
        .map(async (id) => metaOf((await records.get(where.thread(id), [META_KEY]))[0])),
    );
    for (const meta of metas) {
      if (meta.thread === null) continue;
      const thread = revive(meta.thread) as StorageThreadType;
      if (resourceId !== undefined && thread.resourceId !== resourceId) continue;
      threads.push({ thread, seq: meta.seq ?? "" });
    }
  }
  return threads;
}
