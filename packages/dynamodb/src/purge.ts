import { BATCH_WRITE_MAX_ITEMS, batchWriteAll } from "./batch.js";
import { readConsistency, type StoreContext } from "./context.js";
import { forEachQueryPage } from "./query-pages.js";
import { MESSAGE_SK_PREFIX, messageSk, sessionPk } from "./schema.js";
import { namesFor } from "./session-items.js";

/** Batches written at once while purging. */
const PURGE_CONCURRENCY = 4;

/**
 * Deletes every message item of a session id with an id up to `lastMessageId` (this and all earlier
 * incarnations; a newer incarnation created meanwhile has larger ids and is left alone). Keys are read page
 * by page and deleted in full batches of 25, so n messages cost ⌈n/25⌉ BatchWriteItem calls.
 */
export async function purgeMessages(
  context: StoreContext,
  sessionId: string,
  lastMessageId: string,
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
  await forEachQueryPage(
    context.main,
    {
      TableName: table,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :first AND :last",
      ExpressionAttributeNames: namesFor("#pk", "#sk"),
      ExpressionAttributeValues: {
        ":pk": pk,
        ":first": MESSAGE_SK_PREFIX,
        ":last": messageSk(lastMessageId),
      },
      ProjectionExpression: "#sk",
      ...readConsistency({ ...context, consistentReads: true }),
    },
    "sessions.delete",
    async (items) => {
      for (const item of items) pending.push(String(item.sk));
      await flush(false);
    },
  );
  await flush(true);
}
