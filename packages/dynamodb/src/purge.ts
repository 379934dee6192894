import { BATCH_WRITE_MAX_ITEMS, batchWriteAll } from "./batch.js";
import { readConsistency, type StoreContext } from "./context.js";
import { forEachQueryPage } from "./query-pages.js";
import {
  CHUNK_SK_PREFIX,
  IDEMPOTENCY_SK_PREFIX,
  MESSAGE_SK_PREFIX,
  messageChunkBase,
  messageSk,
  sessionPk,
} from "./schema.js";
import { namesFor } from "./session-items.js";

/** Batches written at once while purging. */
const PURGE_CONCURRENCY = 4;

/**
 * Deletes every message item of a session id with an id up to `lastMessageId` (this and all earlier
 * incarnations; a newer incarnation created meanwhile has larger ids and is left alone), the chunks of large
 * messages (write ids below their messages' ids) and the idempotency items of incarnations up to
 * `incarnation`. Keys are read page by page and deleted in full batches of 25, so n messages cost ⌈n/25⌉
 * BatchWriteItem calls.
 */
export async function purgeMessages(
  context: StoreContext,
  sessionId: string,
  lastMessageId: string,
  incarnation: string,
): Promise<void> {
  const pk = sessionPk(sessionId);
  const table = context.tables.sessions;
  const pending: string[] = [];
  const flush = async (all: boolean) => {
    const batches: string[][] = [];
    while (pending.length >= BATCH_WRITE_MAX_ITEMS || (all && pending.length > 0)) {
      batches.push(pending.splice(0, BATCH_WRITE_MAX_ITEMS));
    }
    for (let i = 0; i < batches.length; i += PURGE_CONCURRENCY) {
      await Promise.all(
        batches.slice(i, i + PURGE_CONCURRENCY).map((keys) =>
          batchWriteAll(
            context.writer,
            table,
            keys.map((sk) => ({ DeleteRequest: { Key: { pk, sk } } })),
            "sessions.delete",
          ),
        ),
      );
    }
  };
  // One walk over "c#" < "i#" < "m#": chunks, idempotency items, messages. Sort keys compare as UTF-8 bytes;
  // "\u0002" sorts above the "\u0001" that separates their parts. What belongs to a newer incarnation
  // (created after this delete) is skipped.
  const chunksUpTo = `${messageChunkBase(lastMessageId)}\u0002`;
  const idempotencyUpTo = `${IDEMPOTENCY_SK_PREFIX}${incarnation}\u0002`;
  const ours = (sk: string) =>
    sk.startsWith(CHUNK_SK_PREFIX)
      ? sk <= chunksUpTo
      : sk.startsWith(IDEMPOTENCY_SK_PREFIX)
        ? sk <= idempotencyUpTo
        : sk.startsWith(MESSAGE_SK_PREFIX);
  await forEachQueryPage(
    context.main,
    {
      TableName: table,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :first AND :last",
      ExpressionAttributeNames: namesFor("#pk", "#sk"),
      ExpressionAttributeValues: { ":pk": pk, ":first": CHUNK_SK_PREFIX, ":last": messageSk(lastMessageId) },
      ProjectionExpression: "#sk",
      ...readConsistency({ ...context, consistentReads: true }),
    },
    "sessions.delete",
    async (items) => {
      for (const item of items) if (ours(String(item.sk))) pending.push(String(item.sk));
      await flush(false);
    },
  );
  await flush(true);
}
