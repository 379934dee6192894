import { type ReplaceTarget, SessionNotFoundError } from "@agent-state/core";
import { strongGet } from "./condition-failure.js";
import type { StoreContext } from "./context.js";
import { toStoreError } from "./errors.js";
import { deleteChunksQuietly } from "./large-values.js";
import { forEachQueryPage } from "./query-pages.js";
import { MESSAGE_SK_MAX, META_SK, messageChunkBase, messageIdOf, messageSk, sessionPk } from "./schema.js";
import { isLiveItem, type MessageItem, namesFor, type SessionItem } from "./session-items.js";

/** What `truncate` removes (and an append's `replace`), as core's `parseTruncateOptions` returns it. */
export type RemovalSpec = ReplaceTarget;

/** The newest messages a removal takes, as read (strongly) before the transaction that removes them. */
export interface RemovalPlan {
  /** The live meta item as read: the transaction is conditioned on its incarnation and last message. */
  meta: SessionItem;
  /** The message items to remove, oldest first (at most `max`); empty when `refusal` is set. */
  removed: MessageItem[];
  /** The id of the last message once they are gone (the incarnation when none is left). */
  newTail: string;
  /**
   * Why the removal cannot be done, left to the caller to throw (it may have to check other things first):
   * `afterMessageId` is not a live message of the session, or more than `max` messages follow it.
   */
  refusal: "unknownMessageId" | "tooMany" | null;
}

/**
 * Reads what `spec` removes: the meta item and the messages to remove, strongly, on the store's own client,
 * the meta item always read before the messages (the transaction is conditioned on the tail it holds).
 * `removeLast`: one Query newest-first from the top of the partition (the meta item, the n, the one before
 * them). `afterMessageId`: a GetItem of the meta item, then a Query from that message up (at most `max` + 2
 * items). SessionNotFoundError when the session is not live. Null when it saw a message after the meta item's
 * tail: the session changed between the two reads (a message appended then, even one truncated again since,
 * must not be counted as removed), and the caller reads again, as after a failed condition.
 */
export async function planRemoval(
  context: StoreContext,
  sessionId: string,
  spec: RemovalSpec,
  max: number,
  operation: string,
): Promise<RemovalPlan | null> {
  const pk = sessionPk(sessionId);
  if (spec.afterMessageId === undefined) {
    const output = await query(context, operation, {
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeValues: { ":pk": pk },
      ScanIndexForward: false,
      Limit: spec.removeLast + 2,
    });
    const [head, ...rest] = output;
    const meta = liveMeta(head, sessionId, context);
    const floor = messageSk(meta.incarnation);
    const messages = rest.filter((item) => String(item.sk) > floor) as unknown as MessageItem[];
    if (messages.some((item) => item.sk > tailSkOf(meta))) return null;
    const removed = messages.slice(0, spec.removeLast).reverse();
    const before = messages[spec.removeLast];
    return {
      meta,
      removed,
      newTail: before === undefined ? meta.incarnation : messageIdOf(before.sk),
      refusal: null,
    };
  }
  const afterSk = messageSk(spec.afterMessageId);
  // The meta item first, then the messages (never both at once): messages read after it are at least as
  // new, so any change between the two reads moves the tail and fails the transaction's condition. Messages
  // read before it could be older than the tail the transaction is conditioned on.
  const meta = liveMeta(
    await strongGet(context, context.tables.sessions, { pk, sk: META_SK }, operation),
    sessionId,
    context,
  );
  const after = await query(context, operation, {
    KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :after AND :highest",
    ExpressionAttributeValues: { ":pk": pk, ":after": afterSk, ":highest": MESSAGE_SK_MAX },
    Limit: max + 2,
  });
  if (after.some((item) => String(item.sk) > tailSkOf(meta))) return null;
  const newTail = spec.afterMessageId;
  if (afterSk <= messageSk(meta.incarnation) || after[0]?.sk !== afterSk) {
    return { meta, removed: [], newTail, refusal: "unknownMessageId" };
  }
  const removed = after.slice(1) as unknown as MessageItem[];
  if (removed.length > max) return { meta, removed: [], newTail, refusal: "tooMany" };
  return { meta, removed, newTail, refusal: null };
}

/** How many messages follow `afterMessageId` (for the error of a removal that would take too many). */
export async function countAfter(
  context: StoreContext,
  sessionId: string,
  afterMessageId: string,
  operation: string,
): Promise<number> {
  const afterSk = messageSk(afterMessageId);
  let total = -1; // the message at afterSk itself
  await forEachQueryPage(
    context.main,
    {
      TableName: context.tables.sessions,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :after AND :highest",
      ExpressionAttributeNames: namesFor("#pk", "#sk"),
      ExpressionAttributeValues: {
        ":pk": sessionPk(sessionId),
        ":after": afterSk,
        ":highest": MESSAGE_SK_MAX,
      },
      ProjectionExpression: "#sk",
      ConsistentRead: true,
    },
    operation,
    (items) => {
      total += items.length;
    },
  );
  return total;
}

/**
 * Deletes the chunks of removed large messages. Only after the transaction that removed their items
 * committed (before it, or when its outcome is unknown, they may still be read); failures are left to TTL.
 */
export async function deleteRemovedChunks(
  context: StoreContext,
  sessionId: string,
  removed: MessageItem[],
): Promise<void> {
  const pk = sessionPk(sessionId);
  await Promise.all(
    removed.map((item) =>
      item.vid === undefined
        ? null
        : deleteChunksQuietly(context, context.tables.sessions, pk, messageChunkBase(item.vid), item.vn ?? 0),
    ),
  );
}

/** The sort key of the meta item's last message (of its incarnation when it holds none). */
function tailSkOf(meta: SessionItem): string {
  return messageSk(meta.tailMessageId ?? meta.lastMessageId);
}

function liveMeta(
  item: Record<string, unknown> | null | undefined,
  sessionId: string,
  context: StoreContext,
): SessionItem {
  if (item == null || item.sk !== META_SK || !isLiveItem(item, context.clock())) {
    throw new SessionNotFoundError(sessionId);
  }
  return item as unknown as SessionItem;
}

/** Up to `Limit` items of a strongly consistent Query on the store's own client, across 1 MB pages. */
async function query(
  context: StoreContext,
  operation: string,
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
      throw toStoreError(error, operation);
    }
  } while (startKey !== undefined && items.length < input.Limit);
  return items;
}
