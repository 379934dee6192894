import {
  createSortableIdGenerator,
  type Json,
  type RecordOp,
  type RecordStore,
  type StoredRecord,
} from "@agent-state/core";
import { MessageList } from "@mastra/core/agent/message-list";
import type { MastraDBMessage, StorageThreadType } from "@mastra/core/memory";
import {
  calculatePagination,
  filterByDateRange,
  jsonValueEquals,
  MemoryStorage,
  normalizePerPage,
  type StorageCloneThreadInput,
  type StorageCopyThreadOutput,
  type StorageListMessagesInput,
  type StorageListMessagesOutput,
  type StorageListThreadsInput,
  type StorageListThreadsOutput,
  type StorageResourceType,
  storageMessageMatchesMetadataFilter,
  validateStorageMetadataFilter,
} from "@mastra/core/storage";
import { pack, revive } from "./codec.js";
import { type Layout, META_KEY, messageKey, seqOf } from "./layout.js";
import { contentJson, type Found, fetchMessages, locate, toMastraMessage } from "./messages.js";
import { readThreads, removeThreadIndex, writeThreadIndex } from "./thread-index.js";
import {
  changeThread,
  compareMessages,
  countResource,
  dateBounds,
  firstInOrder,
  isConflict,
  messageOf,
  metaOf,
  type StoredMessage,
  scanMessages,
  type ThreadMeta,
} from "./thread-scope.js";

type MessageUpdate = Parameters<MemoryStorage["updateMessages"]>[0]["messages"][number];

/**
 * Mastra's memory domain (threads, messages, resources and their working memory) on agent-state records.
 * Behaves as Mastra's `InMemoryMemory` does, call for call (the differential tests compare them); see the
 * package README for the layout, the cost of each call and the few documented differences.
 */
export class AgentStateMemoryStorage extends MemoryStorage {
  override readonly supportsPartialThreadUpdate = true;
  override readonly supportsObservationalMemory = false;
  readonly #records: RecordStore;
  readonly #where: Layout;
  readonly #nextSeq = createSortableIdGenerator();
  readonly #newId: () => string;

  constructor(records: RecordStore, where: Layout, newId: () => string = () => crypto.randomUUID()) {
    super();
    this.#records = records;
    this.#where = where;
    this.#newId = newId;
  }

  async dangerouslyClearAll(): Promise<void> {
    const threads = await readThreads(this.#records, this.#where, undefined);
    for (const { thread } of threads) await this.deleteThread({ threadId: thread.id });
    await this.#records.clear(this.#where.resources);
  }

  // ---- threads ----

  async getThreadById({
    threadId,
    resourceId,
  }: {
    threadId: string;
    resourceId?: string;
  }): Promise<StorageThreadType | null> {
    const [record] = await this.#records.get(this.#where.thread(threadId), [META_KEY]);
    const thread = threadOf(metaOf(record));
    if (!thread || (resourceId !== undefined && thread.resourceId !== resourceId)) return null;
    return withMetadataKey(thread);
  }

  async saveThread({ thread }: { thread: StorageThreadType }): Promise<StorageThreadType> {
    const [record] = await this.#records.get(this.#where.thread(thread.id), [META_KEY]);
    const before = threadOf(metaOf(record));
    if (before?.resourceId !== thread.resourceId) await writeThreadIndex(this.#records, this.#where, thread);
    const packed = pack(thread, "thread");
    await changeThread(this.#records, this.#where.thread(thread.id), [], (meta) => {
      meta.thread = packed;
      meta.seq ??= this.#nextSeq();
      return true;
    });
    if (before && before.resourceId !== thread.resourceId) {
      await removeThreadIndex(this.#records, this.#where, before, { keepAll: true });
    }
    return thread;
  }

  async updateThread({
    id,
    title,
    metadata,
  }: {
    id: string;
    title?: string;
    metadata?: Record<string, unknown>;
  }): Promise<StorageThreadType> {
    const updated = await changeThread(this.#records, this.#where.thread(id), [], (meta) => {
      const thread = threadOf(meta);
      if (!thread) throw new Error(`Thread with id ${id} not found`);
      if (title !== undefined) thread.title = title;
      thread.metadata = { ...thread.metadata, ...metadata };
      thread.updatedAt = new Date();
      meta.thread = pack(thread, "thread");
      return thread;
    });
    return updated as StorageThreadType;
  }

  async deleteThread({ threadId }: { threadId: string }): Promise<void> {
    const scope = this.#where.thread(threadId);
    const [record] = await this.#records.get(scope, [META_KEY]);
    const thread = threadOf(metaOf(record));
    const ids: string[] = [];
    for await (const message of scanMessages(this.#records, scope, { order: "asc" })) {
      ids.push(messageOf(message).id);
    }
    await this.#records.clear(scope);
    await this.#dropIndexEntries(ids, threadId);
    if (thread) await removeThreadIndex(this.#records, this.#where, thread, { keepAll: false });
  }

  async listThreads(args: StorageListThreadsInput): Promise<StorageListThreadsOutput> {
    const { page = 0, perPage: perPageInput, orderBy, filter } = args;
    const { field, direction } = this.parseOrderBy(orderBy);
    this.validatePaginationInput(page, perPageInput ?? 100);
    const perPage = normalizePerPage(perPageInput, 100);
    this.validateMetadataKeys(filter?.metadata);
    let threads = await readThreads(this.#records, this.#where, filter?.resourceId || undefined);
    const wanted = filter?.metadata && Object.keys(filter.metadata).length > 0 ? filter.metadata : undefined;
    if (wanted) {
      threads = threads.filter(({ thread }) => {
        const metadata = thread.metadata;
        if (!metadata) return false;
        return Object.entries(wanted).every(([key, value]) => jsonValueEquals(metadata[key], value));
      });
    }
    threads.sort((a, b) => {
      const byTime = new Date(a.thread[field]).getTime() - new Date(b.thread[field]).getTime();
      if (byTime !== 0) return direction === "ASC" ? byTime : -byTime;
      return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
    });
    const { offset, perPage: perPageForResponse } = calculatePagination(page, perPageInput, perPage);
    return {
      threads: threads.slice(offset, offset + perPage).map(({ thread }) => withMetadataKey(thread)),
      total: threads.length,
      page,
      perPage: perPageForResponse,
      hasMore: offset + perPage < threads.length,
    };
  }

  /**
   * Copies a thread and its messages (all, or those the filter and limit keep) to a new thread with new
   * message ids, reading the source a page at a time; the copy's metadata says where it came from.
   */
  override async copyThread(args: StorageCloneThreadInput): Promise<StorageCopyThreadOutput> {
    const { sourceThreadId, newThreadId: providedThreadId, resourceId, title, metadata, options } = args;
    const [sourceRecord] = await this.#records.get(this.#where.thread(sourceThreadId), [META_KEY]);
    const sourceThread = threadOf(metaOf(sourceRecord));
    if (!sourceThread) throw new Error(`Source thread with id ${sourceThreadId} not found`);
    const newThreadId = providedThreadId || this.#newId();
    if (await this.getThreadById({ threadId: newThreadId })) {
      throw new Error(`Thread with id ${newThreadId} already exists`);
    }
    const filter = options?.messageFilter;
    const wanted =
      filter?.messageIds && filter.messageIds.length > 0 ? new Set(filter.messageIds) : undefined;
    let source: StoredMessage[] = [];
    const bounds = dateBounds({
      ...(filter?.startDate && { start: filter.startDate }),
      ...(filter?.endDate && { end: filter.endDate }),
    });
    for await (const record of scanMessages(this.#records, this.#where.thread(sourceThreadId), {
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
      const id = this.#newId();
      messageIdMap[message.id] = id;
      const row: StoredMessage = { ...message, id, resourceId: resourceId || message.resourceId };
      return { row, key: messageKey(row.createdAt, this.#nextSeq()) };
    });
    await writeThreadIndex(this.#records, this.#where, newThread);
    await this.#writeIndex(copies.map((c) => ({ id: c.row.id, threadId: newThreadId, key: c.key })));
    const ops: RecordOp[] = copies.map((c) => ({ put: c.key, value: c.row as unknown as Json }));
    await changeThread(this.#records, this.#where.thread(newThreadId), ops, (meta) => {
      meta.thread = pack(newThread, "thread");
      meta.seq ??= this.#nextSeq();
      for (const c of copies) countResource(meta, c.row.resourceId, 1);
      return true;
    });
    return { thread: newThread, messageIdMap };
  }

  /**
   * Mastra's own reassignment (save the thread under the new resource, then move its messages' resource),
   * returning the thread as stored afterwards: moving the messages bumps its `updatedAt`, which Mastra's
   * in-memory store shows in the returned object because it hands out the stored one.
   */
  override async updateThreadResourceId(args: {
    threadId: string;
    resourceId: string;
  }): Promise<StorageThreadType> {
    const thread = await super.updateThreadResourceId(args);
    return (await this.getThreadById({ threadId: args.threadId })) ?? thread;
  }

  // ---- messages ----

  async listMessages({
    threadId,
    resourceId: optionalResourceId,
    include,
    filter,
    perPage: perPageInput,
    page = 0,
    orderBy,
  }: StorageListMessagesInput): Promise<StorageListMessagesOutput> {
    const metadataFilter = validateStorageMetadataFilter(filter?.metadata);
    const threadIds = Array.isArray(threadId) ? threadId : [threadId];
    if (threadIds.length === 0 || threadIds.some((id) => !id.trim())) {
      throw new Error("threadId must be a non-empty string or array of non-empty strings");
    }
    const { direction } = this.parseOrderBy(orderBy, "ASC");
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
          this.#threadWindow(id, { resourceId, filter, metadataFilter, direction, need: offset + perPage }),
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
    for (const extra of await this.#resolveIncluded(include, resourceId)) {
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
  async #threadWindow(
    threadId: string,
    options: {
      resourceId: string | undefined;
      filter: StorageListMessagesInput["filter"];
      metadataFilter: ReturnType<typeof validateStorageMetadataFilter>;
      direction: "ASC" | "DESC";
      need: number;
    },
  ): Promise<{ threadId: string; records: StoredRecord[]; total: number }> {
    const scope = this.#where.thread(threadId);
    const [metaRecord] = await this.#records.get(scope, [META_KEY]);
    const meta = metaOf(metaRecord);
    const { resourceId, filter, metadataFilter, direction, need } = options;
    const matching = resourceId === undefined ? meta.count : (meta.resources[resourceId] ?? 0);
    if (matching === 0) return { threadId, records: [], total: 0 };
    const scanOrder = direction === "ASC" ? "asc" : "desc";
    const sameResource = resourceId === undefined || matching === meta.count;
    if (!filter?.dateRange && !metadataFilter && sameResource) {
      const scan = scanMessages(this.#records, scope, { order: scanOrder }, Math.min(need + 1, 1000));
      return { threadId, records: await firstInOrder(scan, need, () => true, direction), total: matching };
    }
    const all: StoredRecord[] = [];
    const scan = scanMessages(this.#records, scope, { order: scanOrder, ...dateBounds(filter?.dateRange) });
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
  async #resolveIncluded(
    include: StorageListMessagesInput["include"],
    resourceId: string | undefined,
  ): Promise<MastraDBMessage[]> {
    if (!include || include.length === 0) return [];
    const targets = await fetchMessages(
      this.#records,
      this.#where,
      include.map((i) => i.id),
    );
    const resolved: MastraDBMessage[] = [];
    const resolvedIds = new Set<string>();
    const keep = (m: StoredMessage) => resourceId === undefined || m.resourceId === resourceId;
    for (const item of include) {
      const target = targets.get(item.id);
      if (!target || !keep(target.message)) continue;
      const scope = this.#where.thread(target.threadId);
      const before = await this.#neighbours(
        scope,
        { order: "desc", before: target.key },
        item.withPreviousMessages,
        keep,
      );
      const after = await this.#neighbours(
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

  async #neighbours(
    scope: string,
    options: { order: "asc" | "desc"; before?: string; after?: string },
    count: number | undefined,
    keep: (m: StoredMessage) => boolean,
  ): Promise<StoredMessage[]> {
    const want = count ?? 0;
    if (want <= 0) return [];
    const out: StoredMessage[] = [];
    for await (const record of scanMessages(this.#records, scope, options, Math.min(want, 1000))) {
      const message = messageOf(record);
      if (!keep(message)) continue;
      out.push(message);
      if (out.length >= want) break;
    }
    return out;
  }

  async listMessagesById({ messageIds }: { messageIds: string[] }): Promise<{ messages: MastraDBMessage[] }> {
    const found = await fetchMessages(this.#records, this.#where, messageIds);
    const messages = messageIds
      .map((id) => found.get(id))
      .filter((f): f is Found => f !== undefined)
      .map((f) => toMastraMessage(f.threadId, f.message));
    return { messages: new MessageList().add(messages, "memory").get.all.db() };
  }

  async saveMessages({
    messages,
  }: {
    messages: MastraDBMessage[];
  }): Promise<{ messages: MastraDBMessage[] }> {
    const now = new Date();
    // Later copies of an id win, in the first copy's position (a Map's `set`).
    const latest = new Map<string, { threadId: string; row: StoredMessage }>();
    for (const message of messages) {
      latest.set(message.id, {
        threadId: message.threadId || "",
        row: {
          id: message.id,
          role: message.role || "user",
          type: message.type || "text",
          createdAt: new Date(message.createdAt).getTime(),
          resourceId: message.resourceId || null,
          content: contentJson(message.content),
        },
      });
    }
    const existing = await fetchMessages(this.#records, this.#where, [...latest.keys()]);
    const placed = [...latest.values()].map(({ threadId, row }) => {
      const before = existing.get(row.id);
      const key = messageKey(row.createdAt, before ? seqOf(before.key) : this.#nextSeq());
      return { threadId, row, key, before };
    });
    // Index entries only for new messages and those whose place changes (a re-save usually keeps it).
    const relocated = placed.filter((p) => p.before?.threadId !== p.threadId || p.before.key !== p.key);
    await this.#writeIndex(relocated.map((p) => ({ id: p.row.id, threadId: p.threadId, key: p.key })));
    const touched = new Set(messages.map((m) => m.threadId).filter((id): id is string => Boolean(id)));
    const byThread = groupBy(placed, (p) => p.threadId);
    for (const threadId of new Set([...byThread.keys(), ...touched])) {
      const list = byThread.get(threadId) ?? [];
      const ops: RecordOp[] = [];
      for (const p of list) {
        ops.push({ put: p.key, value: p.row as unknown as Json });
        if (p.before?.threadId === threadId && p.before.key !== p.key) ops.push({ delete: p.before.key });
      }
      await changeThread(this.#records, this.#where.thread(threadId), ops, (meta) => {
        for (const p of list) {
          if (p.before?.threadId === threadId) countResource(meta, p.before.message.resourceId, -1);
          countResource(meta, p.row.resourceId, 1);
        }
        if (touched.has(threadId)) setUpdatedAt(meta, now);
        return true;
      });
    }
    // Moved messages leave their old thread last, so a crash in between never loses one.
    const moved = placed.filter((p) => p.before && p.before.threadId !== p.threadId);
    for (const [oldThread, list] of groupBy(moved, (p) => p.before?.threadId as string)) {
      const ops = list.map((p) => ({ delete: p.before?.key as string }));
      await changeThread(this.#records, this.#where.thread(oldThread), ops, (meta) => {
        for (const p of list) countResource(meta, p.before?.message.resourceId ?? null, -1);
        return true;
      });
    }
    return { messages: new MessageList().add(messages, "memory").get.all.db() };
  }

  async updateMessages({ messages }: { messages: MessageUpdate[] }): Promise<MastraDBMessage[]> {
    const updated: MastraDBMessage[] = [];
    for (const update of messages) {
      const found = (await fetchMessages(this.#records, this.#where, [update.id])).get(update.id);
      if (!found) continue;
      const row: StoredMessage = { ...found.message };
      const oldThreadId = found.threadId;
      const newThreadId = update.threadId || oldThreadId;
      if (update.role !== undefined) row.role = update.role;
      if (update.type !== undefined) row.type = update.type;
      const createdAt = (update as { createdAt?: Date }).createdAt;
      if (createdAt !== undefined) row.createdAt = new Date(createdAt).getTime();
      if (update.resourceId !== undefined) row.resourceId = update.resourceId;
      if (update.content !== undefined) {
        const oldContent = row.content;
        let newContent: unknown = update.content;
        if (typeof newContent === "object" && typeof oldContent === "object") {
          const merged: Record<string, unknown> = { ...(oldContent as object), ...(newContent as object) };
          const oldMeta = (oldContent as { metadata?: object } | null)?.metadata;
          const newMeta = (newContent as { metadata?: object } | null)?.metadata;
          if (oldMeta && newMeta) merged.metadata = { ...oldMeta, ...newMeta };
          newContent = merged;
        }
        row.content = contentJson(newContent);
      }
      const key = messageKey(row.createdAt, seqOf(found.key));
      await this.#moveOrReplace(found, row, newThreadId, key);
      updated.push({
        id: row.id,
        threadId: newThreadId,
        content: row.content,
        role: row.role === "user" || row.role === "assistant" ? row.role : "user",
        type: row.type,
        createdAt: new Date(row.createdAt),
        resourceId: row.resourceId === null ? undefined : row.resourceId,
      } as unknown as MastraDBMessage);
    }
    return updated;
  }

  /** Writes an updated message in place, or moves it to another thread; bumps the threads' updatedAt. */
  async #moveOrReplace(found: Found, row: StoredMessage, newThreadId: string, key: string): Promise<void> {
    const base = Date.now();
    const oldScope = this.#where.thread(found.threadId);
    if (newThreadId === found.threadId) {
      if (key !== found.key) await this.#writeIndex([{ id: row.id, threadId: newThreadId, key }]);
      const ops: RecordOp[] = [{ put: key, value: row as unknown as Json }];
      if (key !== found.key) ops.push({ delete: found.key });
      await changeThread(this.#records, oldScope, ops, (meta) => {
        countResource(meta, found.message.resourceId, -1);
        countResource(meta, row.resourceId, 1);
        bumpThreadAfter(meta, base);
        return true;
      });
      return;
    }
    const [oldMeta, newMeta] = await Promise.all(
      [found.threadId, newThreadId].map(async (id) => {
        const [record] = await this.#records.get(this.#where.thread(id), [META_KEY]);
        return threadOf(metaOf(record));
      }),
    );
    let oldTime: number | undefined;
    if (oldMeta) oldTime = Math.max(base, oldMeta.updatedAt.getTime() + 1);
    let newTime: number | undefined;
    if (newMeta) {
      newTime = Math.max(base + 1, newMeta.updatedAt.getTime() + 1);
      if (oldTime !== undefined && newTime <= oldTime) newTime = oldTime + 1;
    }
    await this.#writeIndex([{ id: row.id, threadId: newThreadId, key }]);
    const put: RecordOp[] = [{ put: key, value: row as unknown as Json }];
    await changeThread(this.#records, this.#where.thread(newThreadId), put, (meta) => {
      countResource(meta, row.resourceId, 1);
      if (newTime !== undefined) setUpdatedAt(meta, new Date(newTime));
      return true;
    });
    await changeThread(this.#records, oldScope, [{ delete: found.key }], (meta) => {
      countResource(meta, found.message.resourceId, -1);
      if (oldTime !== undefined) setUpdatedAt(meta, new Date(oldTime));
      return true;
    });
  }

  override async deleteMessages(messageIds: string[]): Promise<void> {
    if (!messageIds || messageIds.length === 0) return;
    const found = await fetchMessages(this.#records, this.#where, messageIds);
    const now = new Date();
    for (const [threadId, list] of groupBy([...found.values()], (f) => f.threadId)) {
      const ops = list.map((f) => ({ delete: f.key }));
      await changeThread(this.#records, this.#where.thread(threadId), ops, (meta) => {
        for (const f of list) countResource(meta, f.message.resourceId, -1);
        if (threadId) setUpdatedAt(meta, now);
        return true;
      });
    }
    const gone = [...found.values()];
    for (let i = 0; i < gone.length; i += 100) {
      await this.#records
        .write(
          this.#where.messageIds,
          gone.slice(i, i + 100).map((f) => ({ delete: f.message.id })),
        )
        .catch(ignoreConflicts);
    }
  }

  // ---- resources (resource-scoped working memory) ----

  override async getResourceById({
    resourceId,
  }: {
    resourceId: string;
  }): Promise<StorageResourceType | null> {
    const [record] = await this.#records.get(this.#where.resources, [resourceId]);
    if (!record) return null;
    const resource = revive(record.value as Json) as StorageResourceType;
    return {
      ...resource,
      metadata: resource.metadata ? { ...resource.metadata } : resource.metadata,
    } as StorageResourceType;
  }

  override async saveResource({ resource }: { resource: StorageResourceType }): Promise<StorageResourceType> {
    await this.#records.write(this.#where.resources, [
      { put: resource.id, value: pack(resource, "resource") },
    ]);
    return resource;
  }

  override async updateResource({
    resourceId,
    workingMemory,
    metadata,
  }: {
    resourceId: string;
    workingMemory?: string;
    metadata?: Record<string, unknown>;
  }): Promise<StorageResourceType> {
    for (;;) {
      const [record] = await this.#records.get(this.#where.resources, [resourceId]);
      const current = record ? (revive(record.value as Json) as StorageResourceType) : null;
      const resource = (
        current
          ? {
              ...current,
              workingMemory: workingMemory !== undefined ? workingMemory : current.workingMemory,
              metadata: { ...current.metadata, ...metadata },
              updatedAt: new Date(),
            }
          : {
              id: resourceId,
              workingMemory,
              metadata: metadata || {},
              createdAt: new Date(),
              updatedAt: new Date(),
            }
      ) as StorageResourceType;
      try {
        await this.#records.write(this.#where.resources, [
          { put: resourceId, value: pack(resource, "resource"), ifVersion: record?.version ?? 0 },
        ]);
        return resource;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
  }

  // ---- helpers ----

  async #writeIndex(entries: { id: string; threadId: string; key: string }[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 100) {
      await this.#records.write(
        this.#where.messageIds,
        entries.slice(i, i + 100).map((e) => ({ put: e.id, value: { t: e.threadId, k: e.key } })),
      );
    }
  }

  /** Removes index entries of `ids` that still point into `threadId`. */
  async #dropIndexEntries(ids: string[], threadId: string): Promise<void> {
    const locations = await locate(this.#records, this.#where, ids);
    const stale = [...locations].filter(([, l]) => l.threadId === threadId).map(([id]) => id);
    for (let i = 0; i < stale.length; i += 100) {
      await this.#records.write(
        this.#where.messageIds,
        stale.slice(i, i + 100).map((id) => ({ delete: id })),
      );
    }
  }
}

function threadOf(meta: ThreadMeta): StorageThreadType | null {
  return meta.thread === null ? null : (revive(meta.thread) as StorageThreadType);
}

/** A thread as Mastra's reads return it: with a `metadata` property, even when it is undefined. */
function withMetadataKey(thread: StorageThreadType): StorageThreadType {
  return { ...thread, metadata: thread.metadata } as StorageThreadType;
}

function setUpdatedAt(meta: ThreadMeta, at: Date): void {
  const thread = threadOf(meta);
  if (!thread) return;
  thread.updatedAt = at;
  meta.thread = pack(thread, "thread");
}

/** updateMessages: now, but always later than the thread's previous updatedAt. */
function bumpThreadAfter(meta: ThreadMeta, base: number): void {
  const thread = threadOf(meta);
  if (!thread) return;
  const previous = new Date(thread.updatedAt).getTime();
  setUpdatedAt(meta, new Date(base <= previous ? previous + 1 : base));
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key) ?? [];
    list.push(item);
    groups.set(key, list);
  }
  return groups;
}

function ignoreConflicts(error: unknown): void {
  if (!isConflict(error)) throw error;
}
