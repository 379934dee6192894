import type { Json, RecordOp, RecordStore } from "@agent-state/core";
import type { StorageThreadType } from "@mastra/core/memory";
import type { StorageCloneThreadInput, StorageCopyThreadOutput } from "@mastra/core/storage";
import { pack, revive } from "./codec.js";
import { type Layout, META_KEY, messageKey } from "./layout.js";
import { writeMessageIndex } from "./messages.js";
import { writeThreadIndex } from "./thread-index.js";
import {
  changeThread,
  countResource,
  dateBounds,
  messageOf,
  metaOf,
  type StoredMessage,
  scanMessages,
} from "./thread-scope.js";

/**
 * Mastra's `copyThread` (as its in-memory store does it) once the caller has checked that the source exists
 * and the target does not: copies the messages the filter and limit keep, oldest first, under new ids, to a
 * new thread whose metadata says where it came from. Reads the source a page at a time.
 */
export async function copyThread(
  records: RecordStore,
  where: Layout,
  args: StorageCloneThreadInput & { newThreadId: string },
  ids: { newId: () => string; nextSeq: () => string },
): Promise<StorageCopyThreadOutput> {
  const { sourceThreadId, newThreadId, resourceId, title, metadata, options } = args;
  const [sourceRecord] = await records.get(where.thread(sourceThreadId), [META_KEY]);
  const sourceThread = revive(metaOf(sourceRecord).thread) as StorageThreadType;
  const filter = options?.messageFilter;
  const wanted = filter?.messageIds && filter.messageIds.length > 0 ? new Set(filter.messageIds) : undefined;
  let source: StoredMessage[] = [];
  const bounds = dateBounds({
    ...(filter?.startDate && { start: filter.startDate }),
    ...(filter?.endDate && { end: filter.endDate }),
  });
  for await (const record of scanMessages(records, where.thread(sourceThreadId), {
    order: "asc",
    ...bounds,
  })) {
    const message = messageOf(record);
    if (!wanted || wanted.has(message.id)) source.push(message);
  }
  const limit = options?.messageLimit;
  if (limit && limit > 0 && source.length > limit) source = source.slice(-limit);
  const now = new Date();
  const lastMessageId = source.at(-1)?.id;
  const newThread = {
    id: newThreadId,
    resourceId: resourceId || sourceThread.resourceId,
    title: title || (sourceThread.title ? `Clone of ${sourceThread.title}` : undefined),
    metadata: {
      ...metadata,
      clone: { sourceThreadId, clonedAt: now, ...(lastMessageId && { lastMessageId }) },
    },
    createdAt: now,
    updatedAt: now,
  } as StorageThreadType;
  const messageIdMap: Record<string, string> = {};
  const copies = source.map((message) => {
    const id = ids.newId();
    messageIdMap[message.id] = id;
    const row: StoredMessage = { ...message, id, resourceId: resourceId || message.resourceId };
    return { row, key: messageKey(row.createdAt, ids.nextSeq()) };
  });
  await writeThreadIndex(records, where, newThread);
  await writeMessageIndex(
    records,
    where,
    copies.map((c) => ({ id: c.row.id, threadId: newThreadId, key: c.key })),
  );
  const ops: RecordOp[] = copies.map((c) => ({ put: c.key, value: c.row as unknown as Json }));
  await changeThread(records, where.thread(newThreadId), ops, (meta) => {
    meta.thread = pack(newThread, "thread");
    meta.seq ??= ids.nextSeq();
    for (const c of copies) countResource(meta, c.row.resourceId, 1);
    return true;
  });
  return { thread: newThread, messageIdMap };
}
