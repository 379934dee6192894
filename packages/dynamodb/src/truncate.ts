import {
  LIMITS,
  type Message,
  parseTruncateOptions,
  SessionNotFoundError,
  ThrottledError,
  toEpochSeconds,
  tooManyToTruncate,
  unknownMessageId,
  validateId,
} from "@agent-state/core";
import { backoffDelayMs, sleep } from "./batch.js";
import type { StoreContext } from "./context.js";
import { cancellationReasons, toStoreError } from "./errors.js";
import { deleteChunksQuietly } from "./large-values.js";
import { decodeMessages } from "./message-payload.js";
import { forEachQueryPage } from "./query-pages.js";
import { MESSAGE_SK_MAX, META_SK, messageChunkBase, messageIdOf, messageSk, sessionPk } from "./schema.js";
import { isLiveItem, type MessageItem, namesFor, type SessionItem } from "./session-items.js";

const TRUNCATE_ATTEMPTS = 20;

/**
 * Removes the newest messages atomically: a strong read of the meta item and the messages to remove, then one
 * TransactWriteItems of the meta update (condition: the same incarnation and last message as read; the new
 * last message; messageCount minus the removed; expiry slid; `lastMessageId`, the id high-water mark, kept,
 * so later ids still sort after the removed ones) and one Delete per removed message (≤ 99). A concurrent
 * append or truncate fails the condition and the whole thing is redone from a fresh read. Chunks of removed
 * large messages are deleted afterwards (their TTL sweeps them if that fails).
 */
export async function truncateMessages(
  context: StoreContext,
  sessionId: string,
  opts: unknown,
): Promise<Message[]> {
  validateId("sessionId", sessionId);
  const spec = parseTruncateOptions(opts);
  const pk = sessionPk(sessionId);
  const table = context.tables.sessions;
  for (let attempt = 1; attempt <= TRUNCATE_ATTEMPTS; attempt++) {
    const { meta, removed, newTail } = await readVictims(context, sessionId, spec);
    const now = context.clock();
    const names = namesFor(
      "#pk",
      "#expiresAt",
      "#lastActiveAt",
      "#ttlMs",
      "#ttl",
      "#ttlSeconds",
      "#messageCount",
      "#tail",
      "#incarnation",
      "#lastMessageId",
    );
    const values: Record<string, unknown> = {
      ":now": now,
      ":nowSeconds": toEpochSeconds(now),
      ":incarnation": meta.incarnation,
      ":observedTail": meta.tailMessageId ?? meta.lastMessageId,
      ":newTail": newTail,
      ":minus": -removed.length,
    };
    let regionSet = "";
    if (context.region !== null) {
      regionSet = ", #region = :region";
      names["#region"] = "lastActiveRegion";
      values[":region"] = context.region;
    }
    try {
      await context.writer.transactWrite({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { pk, sk: META_SK },
              ConditionExpression:
                "attribute_exists(#pk) AND #expiresAt > :now AND #incarnation = :incarnation AND " +
                "(#tail = :observedTail OR (attribute_not_exists(#tail) AND #lastMessageId = :observedTail))",
              UpdateExpression:
                "SET #tail = :newTail, #lastActiveAt = :now, #expiresAt = :now + #ttlMs, " +
                `#ttl = :nowSeconds + #ttlSeconds${regionSet} ADD #messageCount :minus`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          ...removed.map((item) => ({ Delete: { TableName: table, Key: { pk, sk: item.sk } } })),
        ],
      });
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === null) throw toStoreError(error, "sessions.truncate");
      const first = reasons[0];
      if (first?.code === "ConditionalCheckFailed" && first.item !== null && !isLiveItem(first.item, now)) {
        throw new SessionNotFoundError(sessionId);
      }
      if (
        first?.code !== "ConditionalCheckFailed" &&
        !reasons.some((r) => r.code === "TransactionConflict")
      ) {
        throw toStoreError(error, "sessions.truncate");
      }
      // Changed since it was read: read again.
      await sleep(backoffDelayMs(Math.min(attempt, 6)));
      continue;
    }
    const messages = await decodeMessages(context, removed, "sessions.truncate");
    await Promise.all(
      removed.map((item) =>
        item.vid === undefined
          ? null
          : deleteChunksQuietly(context, table, pk, messageChunkBase(item.vid), item.vn ?? 0),
      ),
    );
    return messages;
  }
  throw new ThrottledError(
    `sessions.truncate: session ${JSON.stringify(sessionId)} kept changing (${TRUNCATE_ATTEMPTS} attempts)`,
  );
}

/** The live meta item, the message items to remove (oldest first) and the id of the new last message. */
async function readVictims(
  context: StoreContext,
  sessionId: string,
  spec: ReturnType<typeof parseTruncateOptions>,
): Promise<{ meta: SessionItem; removed: MessageItem[]; newTail: string }> {
  const pk = sessionPk(sessionId);
  const max = LIMITS.maxMessagesPerTruncate;
  if (spec.afterMessageId === undefined) {
    // Newest first from the top of the partition: the meta item, the n to remove, and the one before them.
    const output = await query(context, {
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeValues: { ":pk": pk },
      ScanIndexForward: false,
      Limit: spec.removeLast + 2,
    });
    const [head, ...rest] = output;
    const meta = liveMeta(head, sessionId, context);
    const floor = messageSk(meta.incarnation);
    const messages = rest.filter((item) => String(item.sk) > floor) as unknown as MessageItem[];
    const removed = messages.slice(0, spec.removeLast).reverse();
    const before = messages[spec.removeLast];
    return { meta, removed, newTail: before === undefined ? meta.incarnation : messageIdOf(before.sk) };
  }
  const afterSk = messageSk(spec.afterMessageId);
  const [metaOutput, after] = await Promise.all([
    getMeta(context, pk),
    query(context, {
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :after AND :highest",
      ExpressionAttributeValues: { ":pk": pk, ":after": afterSk, ":highest": MESSAGE_SK_MAX },
      Limit: max + 2,
    }),
  ]);
  const meta = liveMeta(metaOutput, sessionId, context);
  if (afterSk <= messageSk(meta.incarnation) || after[0]?.sk !== afterSk) throw unknownMessageId();
  const removed = after.slice(1) as unknown as MessageItem[];
  if (removed.length > max) throw tooManyToTruncate(await countAfter(context, pk, afterSk));
  return { meta, removed, newTail: spec.afterMessageId };
}

function liveMeta(
  item: Record<string, unknown> | undefined,
  sessionId: string,
  context: StoreContext,
): SessionItem {
  if (item === undefined || item.sk !== META_SK || !isLiveItem(item, context.clock())) {
    throw new SessionNotFoundError(sessionId);
  }
  return item as unknown as SessionItem;
}

async function getMeta(context: StoreContext, pk: string): Promise<Record<string, unknown> | undefined> {
  try {
    const output = await context.main.get({
      TableName: context.tables.sessions,
      Key: { pk, sk: META_SK },
      ConsistentRead: true,
    });
    return output.Item;
  } catch (error) {
    throw toStoreError(error, "sessions.truncate");
  }
}

/** Up to `Limit` items of a strongly consistent Query on the store's own client, across 1 MB pages. */
async function query(
  context: StoreContext,
  input: {
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
    ScanIndexForward?: boolean;
    Limit: number;
  },
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    try {
      const output = await context.main.query({
        TableName: context.tables.sessions,
        ExpressionAttributeNames: input.KeyConditionExpression.includes("#sk")
          ? namesFor("#pk", "#sk")
          : namesFor("#pk"),
        ConsistentRead: true,
        ...input,
        Limit: input.Limit - items.length,
        ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
      });
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } catch (error) {
      throw toStoreError(error, "sessions.truncate");
    }
  } while (startKey !== undefined && items.length < input.Limit);
  return items;
}

/** How many messages follow `afterSk` (for the error of a truncate that would remove too many). */
async function countAfter(context: StoreContext, pk: string, afterSk: string): Promise<number> {
  let total = -1; // the message at afterSk itself
  await forEachQueryPage(
    context.main,
    {
      TableName: context.tables.sessions,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :after AND :highest",
      ExpressionAttributeNames: namesFor("#pk", "#sk"),
      ExpressionAttributeValues: { ":pk": pk, ":after": afterSk, ":highest": MESSAGE_SK_MAX },
      ProjectionExpression: "#sk",
      ConsistentRead: true,
    },
    "sessions.truncate",
    (items) => {
      total += items.length;
    },
  );
  return total;
}
