import { createSortableIdGenerator, type Json, type RecordOp, type RecordStore } from "@agent-state/core";
import { MessageList } from "@mastra/core/agent/message-list";
import type { MastraDBMessage, StorageThreadType } from "@mastra/core/memory";
import {
  calculatePagination,
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
} from "@mastra/core/storage";
import { pack, revive } from "./codec.js";
import { copyThread } from "./copy-thread.js";
import { type Layout, META_KEY, messageKey, seqOf } from "./layout.js";
import { listMessages } from "./list-messages.js";
import {
  contentJson,
  type Found,
  fetchMessages,
  locate,
  toMastraMessage,
  writeMessageIndex,
} from "./messages.js";
import { readThreads, removeThreadIndex, writeThreadIndex } from "./thread-index.js";
import {
  changeThread,
  countResource,
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
    if (await this.getThreadById({ threadId: args.sourceThreadId })) {
      const newThreadId = args.newThreadId || this.#newId();
      if (await this.getThreadById({ threadId: newThreadId })) {
        throw new Error(`Thread with id ${newThreadId} already exists`);
      }
      return copyThread(
        this.#records,
        this.#where,
        { ...args, newThreadId },
        {
          newId: this.#newId,
          nextSeq: this.#nextSeq,
        },
      );
    }
    throw new Error(`Source thread with id ${args.sourceThreadId} not found`);
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

  async listMessages(args: StorageListMessagesInput): Promise<StorageListMessagesOutput> {
    const { direction } = this.parseOrderBy(args.orderBy, "ASC");
    return listMessages(this.#records, this.#where, args, direction);
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
    await writeMessageIndex(
      this.#records,
      this.#where,
      relocated.map((p) => ({ id: p.row.id, threadId: p.threadId, key: p.key })),
    );
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
      if (key !== found.key)
        await writeMessageIndex(this.#records, this.#where, [{ id: row.id, threadId: newThreadId, key }]);
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
    await writeMessageIndex(this.#records, this.#where, [{ id: row.id, threadId: newThreadId, key }]);
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
