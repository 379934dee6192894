import type { Json, RecordStore, StoredRecord } from "@agent-state/core";
import type { MastraDBMessage } from "@mastra/core/agent";
import { safelyParseJSON } from "@mastra/core/storage";
import type { Layout } from "./layout.js";
import { messageOf, type StoredMessage } from "./thread-scope.js";

/** Where the message-id index says a message is. */
export interface Location {
  threadId: string;
  key: string;
}

/** A located message: its thread, its key and the stored row. */
export interface Found extends Location {
  record: StoredRecord;
  message: StoredMessage;
}

/** JSON copy of a message's content, as Mastra's in-memory store keeps it (`JSON.stringify` then parse). */
export function contentJson(content: unknown): Json {
  const text = JSON.stringify(content);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

/** A stored message as Mastra's storage returns it (`parseStoredMessage` of its in-memory store). */
export function toMastraMessage(threadId: string, message: StoredMessage): MastraDBMessage {
  let content: unknown = safelyParseJSON(JSON.stringify(message.content));
  if (typeof content === "string") content = { format: 2, content, parts: [{ type: "text", text: content }] };
  return {
    id: message.id,
    type: message.type,
    createdAt: new Date(message.createdAt),
    threadId,
    ...(message.resourceId && { resourceId: message.resourceId }),
    content,
    role: message.role,
  } as MastraDBMessage;
}

/** Index lookups of message ids, 100 keys per read (`LIMITS.maxRecordKeysPerGet`). */
export async function locate(
  records: RecordStore,
  where: Layout,
  ids: string[],
): Promise<Map<string, Location>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, Location>();
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += 100) chunks.push(unique.slice(i, i + 100));
  await Promise.all(
    chunks.map(async (chunk) => {
      const entries = await records.get(where.messageIds, chunk);
      entries.forEach((entry, i) => {
        if (entry) {
          const value = entry.value as { t: string; k: string };
          found.set(chunk[i] as string, { threadId: value.t, key: value.k });
        }
      });
    }),
  );
  return found;
}

/**
 * The messages with these ids, read from their threads. An index entry whose message is not (or no longer)
 * at its place is a leftover of an interrupted write and counts as absent.
 */
export async function fetchMessages(
  records: RecordStore,
  where: Layout,
  ids: string[],
): Promise<Map<string, Found>> {
  const locations = await locate(records, where, ids);
  const byThread = new Map<string, [string, Location][]>();
  for (const entry of locations) {
    const list = byThread.get(entry[1].threadId) ?? [];
    list.push(entry);
    byThread.set(entry[1].threadId, list);
  }
  const found = new Map<string, Found>();
  await Promise.all(
    [...byThread].map(async ([threadId, entries]) => {
      for (let i = 0; i < entries.length; i += 100) {
        const chunk = entries.slice(i, i + 100);
        const stored = await records.get(
          where.thread(threadId),
          chunk.map(([, location]) => location.key),
        );
        stored.forEach((record, j) => {
          const [id, location] = chunk[j] as [string, Location];
          if (record && messageOf(record).id === id) {
            found.set(id, { ...location, record, message: messageOf(record) });
          }
        });
      }
    }),
  );
  return found;
}

/** Points the message-id index at these places, 100 entries per write. */
export async function writeMessageIndex(
  records: RecordStore,
  where: Layout,
  entries: { id: string; threadId: string; key: string }[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 100) {
    await records.write(
      where.messageIds,
      entries.slice(i, i + 100).map((e) => ({ put: e.id, value: { t: e.threadId, k: e.key } })),
    );
  }
}
