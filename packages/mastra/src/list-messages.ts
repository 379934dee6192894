import type { RecordStore, StoredRecord } from "@agent-state/core";
import type { MastraDBMessage } from "@mastra/core/memory";
import {
  calculatePagination,
  filterByDateRange,
  normalizePerPage,
  type StorageListMessagesInput,
  type StorageListMessagesOutput,
  storageMessageMatchesMetadataFilter,
  validateStorageMetadataFilter,
} from "@mastra/core/storage";
import { type Layout, META_KEY } from "./layout.js";
import { fetchMessages, toMastraMessage } from "./messages.js";
import {
  compareMessages,
  dateBounds,
  firstInOrder,
  messageOf,
  metaOf,
  type StoredMessage,
  scanMessages,
} from "./thread-scope.js";

/**
 * Mastra's `listMessages` (as its in-memory store answers it): one page of one or more threads in createdAt
 * order, the total, `hasMore`, and the `include`d messages with their neighbours.
 */
export async function listMessages(
  records: RecordStore,
  where: Layout,
  {
    threadId,
    resourceId: optionalResourceId,
    include,
    filter,
    perPage: perPageInput,
    page = 0,
  }: StorageListMessagesInput,
  direction: "ASC" | "DESC",
): Promise<StorageListMessagesOutput> {
  const metadataFilter = validateStorageMetadataFilter(filter?.metadata);
  const threadIds = Array.isArray(threadId) ? threadId : [threadId];
  if (threadIds.length === 0 || threadIds.some((id) => !id.trim())) {
    throw new Error("threadId must be a non-empty string or array of non-empty strings");
  }
  const perPage = normalizePerPage(perPageInput, 40);
  if (page < 0) throw new Error("page must be >= 0");
  if (page * perPage > Number.MAX_SAFE_INTEGER / 2) throw new Error("page value too large");
  const { offset, perPage: perPageForResponse } = calculatePagination(page, perPageInput, perPage);
  if (perPage === 0 && (!include || include.length === 0)) {
    return { messages: [], total: 0, page, perPage: perPageForResponse, hasMore: false };
  }
  const resourceId = optionalResourceId || undefined;
  let total = 0;
  let pageRecords: { threadId: string; record: StoredRecord }[] = [];
  if (perPage > 0) {
    const found = await Promise.all(
      [...new Set(threadIds)].map((id) =>
        threadWindow(records, where, id, {
          resourceId,
          filter,
          metadataFilter,
          direction,
          need: offset + perPage,
        }),
      ),
    );
    total = found.reduce((sum, f) => sum + f.total, 0);
    const merged = found.flatMap((f) => f.records.map((record) => ({ threadId: f.threadId, record })));
    const order = compareMessages(direction);
    merged.sort((a, b) => order(a.record, b.record));
    pageRecords = merged.slice(offset, offset + perPage);
  }
  const messages = pageRecords.map(({ threadId: id, record }) => toMastraMessage(id, messageOf(record)));
  const seen = new Set(messages.map((m) => m.id));
  for (const extra of await resolveIncluded(records, where, include, resourceId)) {
    if (seen.has(extra.id)) continue;
    messages.push(extra);
    seen.add(extra.id);
  }
  messages.sort((a, b) => {
    const byTime = new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime();
    return direction === "ASC" ? byTime : -byTime;
  });
  let hasMore: boolean;
  if (perPage === 0) hasMore = false;
  else if (metadataFilter) hasMore = offset + pageRecords.length < total;
  else if (include && include.length > 0) {
    hasMore = new Set(messages.filter((m) => m.threadId === threadId).map((m) => m.id)).size < total;
  } else hasMore = offset + perPage < total;
  return { messages, total, page, perPage: perPageForResponse, hasMore };
}

/**
 * The first `need` messages of one thread in Mastra's order, and how many match in all. Without a date,
 * metadata or mixed-resource filter the count comes from the thread's meta and only `need` messages are
 * read; with one, every message in the date bounds is read.
 */
async function threadWindow(
  records: RecordStore,
  where: Layout,
  threadId: string,
  options: {
    resourceId: string | undefined;
    filter: StorageListMessagesInput["filter"];
    metadataFilter: ReturnType<typeof validateStorageMetadataFilter>;
    direction: "ASC" | "DESC";
    need: number;
  },
): Promise<{ threadId: string; records: StoredRecord[]; total: number }> {
  const scope = where.thread(threadId);
  const [metaRecord] = await records.get(scope, [META_KEY]);
  const meta = metaOf(metaRecord);
  const { resourceId, filter, metadataFilter, direction, need } = options;
  const matching = resourceId === undefined ? meta.count : (meta.resources[resourceId] ?? 0);
  if (matching === 0) return { threadId, records: [], total: 0 };
  const scanOrder = direction === "ASC" ? "asc" : "desc";
  const sameResource = resourceId === undefined || matching === meta.count;
  if (!filter?.dateRange && !metadataFilter && sameResource) {
    const scan = scanMessages(records, scope, { order: scanOrder }, Math.min(need + 1, 1000));
    return { threadId, records: await firstInOrder(scan, need, () => true, direction), total: matching };
  }
  const all: StoredRecord[] = [];
  const scan = scanMessages(records, scope, { order: scanOrder, ...dateBounds(filter?.dateRange) });
  for await (const record of scan) {
    const message = messageOf(record);
    if (resourceId !== undefined && message.resourceId !== resourceId) continue;
    all.push(record);
  }
  const kept = filterByDateRange(all, (r) => new Date(messageOf(r).createdAt), filter?.dateRange).filter(
    (r) => storageMessageMatchesMetadataFilter(JSON.stringify(messageOf(r).content), metadataFilter),
  );
  return { threadId, records: kept.sort(compareMessages(direction)).slice(0, need), total: kept.length };
}

/** Each `include` target and its neighbours in its own thread (within `resourceId` when given). */
async function resolveIncluded(
  records: RecordStore,
  where: Layout,
  include: StorageListMessagesInput["include"],
  resourceId: string | undefined,
): Promise<MastraDBMessage[]> {
  if (!include || include.length === 0) return [];
  const targets = await fetchMessages(
    records,
    where,
    include.map((i) => i.id),
  );
  const resolved: MastraDBMessage[] = [];
  const resolvedIds = new Set<string>();
  const keep = (m: StoredMessage) => resourceId === undefined || m.resourceId === resourceId;
  for (const item of include) {
    const target = targets.get(item.id);
    if (!target || !keep(target.message)) continue;
    const scope = where.thread(target.threadId);
    const before = await neighbours(
      records,
      scope,
      { order: "desc", before: target.key },
      item.withPreviousMessages,
      keep,
    );
    const after = await neighbours(
      records,
      scope,
      { order: "asc", after: target.key },
      item.withNextMessages,
      keep,
    );
    for (const message of [...before.reverse(), target.message, ...after]) {
      if (resolvedIds.has(message.id)) continue;
      resolved.push(toMastraMessage(target.threadId, message));
      resolvedIds.add(message.id);
    }
  }
  return resolved;
}

async function neighbours(
  records: RecordStore,
  scope: string,
  options: { order: "asc" | "desc"; before?: string; after?: string },
  count: number | undefined,
  keep: (m: StoredMessage) => boolean,
): Promise<StoredMessage[]> {
  const want = count ?? 0;
  if (want <= 0) return [];
  const out: StoredMessage[] = [];
  for await (const record of scanMessages(records, scope, options, Math.min(want, 1000))) {
    const message = messageOf(record);
    if (!keep(message)) continue;
    out.push(message);
    if (out.length >= want) break;
  }
  return out;
}
