import { toEpochSeconds } from "@agent-state/core";
import { batchGetAll, batchWriteAll } from "./batch.js";
import type { StoreContext } from "./context.js";
import { isConditionFailure } from "./errors.js";
import { chunkSk } from "./large-values.js";
import { chunkKeysOf } from "./packed-json.js";
import { forEachQueryPage } from "./query-pages.js";
import {
  IDEMPOTENCY_SK_PREFIX,
  MESSAGE_SK_MAX,
  messageChunkBase,
  messageSk,
  stateChunkBase,
} from "./schema.js";
import type { SessionItem } from "./session-items.js";

/**
 * Message items are never rewritten on append (that keeps a turn's cost flat), so their DynamoDB `ttl` is
 * fixed when written: append time + `messageTtlSeconds`. The meta item records the smallest of them
 * (`messagesTtl`). When a read or update of a live session finds that floor closer than the session's own
 * ttl (plus a tenth of `messageTtlSeconds`), i.e. the session has stayed active about as long as
 * `messageTtlSeconds`, this rewrites the incarnation's message items with a new ttl in the background, so a
 * session that stays active never loses messages to the sweep. It runs once per `messageTtlSeconds` for
 * such sessions: ⌈n/25⌉ BatchWriteItem calls plus the Query pages. The chunks of large messages, of a large
 * state and the session's idempotency items are rewritten with them.
 */
export function refreshMessageTtlIfDue(context: StoreContext, meta: SessionItem): void {
  const floor = meta.messagesTtl;
  if (floor === undefined) return;
  const nowSeconds = toEpochSeconds(context.clock());
  const margin = Math.ceil(context.messageTtlSeconds / 10);
  if (floor >= nowSeconds + meta.ttlSeconds + margin) return;
  const key = `${meta.pk}\u0000${meta.incarnation}`;
  if (context.refreshes.has(key)) return;
  const run = refreshMessageTtl(context, meta, nowSeconds + context.messageTtlSeconds)
    // A failed refresh is retried by the next read or update that finds it still due.
    .catch(() => undefined)
    .finally(() => context.refreshes.delete(key));
  context.refreshes.set(key, run);
}

async function refreshMessageTtl(context: StoreContext, meta: SessionItem, ttl: number): Promise<void> {
  const table = context.tables.sessions;
  const operation = "sessions: message ttl refresh";
  const rewrite = (items: Array<Record<string, unknown>>) =>
    batchWriteAll(
      context.writer,
      table,
      items.map((item) => ({ PutRequest: { Item: { ...item, ttl } } })),
      operation,
    );
  const walk = (
    lowest: string,
    highest: string,
    onPage: (items: Array<Record<string, unknown>>) => Promise<void>,
  ) =>
    forEachQueryPage(
      context.main,
      {
        TableName: table,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lowest AND :highest",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: { ":pk": meta.pk, ":lowest": lowest, ":highest": highest },
        ConsistentRead: true,
      },
      operation,
      onPage,
    );
  await walk(messageSk(meta.incarnation), MESSAGE_SK_MAX, async (items) => {
    const stale = items.filter((item) => Number(item.ttl) < ttl);
    // Chunks of large messages live as long as their message: read them back and rewrite them too.
    const chunkKeys = stale.flatMap((item) =>
      item.vid === undefined
        ? []
        : Array.from({ length: Number(item.vn ?? 0) }, (_, i) => ({
            pk: meta.pk,
            sk: chunkSk(messageChunkBase(String(item.vid)), i),
          })),
    );
    const chunks = await batchGetAll(context.main, table, chunkKeys, true, operation);
    await rewrite([...chunks, ...stale]);
  });
  // So do the chunks of a large state (packed-json.ts): read back and rewritten with the new ttl.
  const stateChunks = chunkKeysOf({ pk: meta.pk, chunkBase: stateChunkBase }, meta);
  if (stateChunks.length > 0)
    await rewrite(await batchGetAll(context.main, table, stateChunks, true, operation));
  // The idempotency items of this incarnation live as long as the session too.
  const idempotency = `${IDEMPOTENCY_SK_PREFIX}${meta.incarnation}`;
  await walk(`${idempotency}\u0001`, `${idempotency}\u0002`, rewrite);
  try {
    await context.writer.update({
      TableName: table,
      Key: { pk: meta.pk, sk: meta.sk },
      UpdateExpression: "SET #messagesTtl = :ttl",
      ConditionExpression: "#incarnation = :incarnation AND #messagesTtl = :old",
      ExpressionAttributeNames: { "#messagesTtl": "messagesTtl", "#incarnation": "incarnation" },
      ExpressionAttributeValues: { ":ttl": ttl, ":incarnation": meta.incarnation, ":old": meta.messagesTtl },
    });
  } catch (error) {
    // Deleted, re-created or refreshed by another process meanwhile: nothing to record.
    if (!isConditionFailure(error)) throw error;
  }
}
