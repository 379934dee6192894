import {
  decodeCursor,
  encodeCursor,
  ItemTooLargeError,
  type Message,
  type MessageInput,
  type Page,
  parseMessagesOptions,
  type Session,
  SessionNotFoundError,
  ThrottledError,
  toEpochSeconds,
  ValidationError,
  validateId,
  validateMessages,
} from "@agent-state/core";
import { backoffDelayMs, sleep } from "./batch.js";
import { itemBehindConditionFailure } from "./condition-failure.js";
import { readConsistency, type StoreContext } from "./context.js";
import { cancellationReasons, toStoreError } from "./errors.js";
import { encodeJson } from "./json-codec.js";
import { refreshMessageTtlIfDue } from "./message-ttl.js";
import { readMeta } from "./meta-read.js";
import {
  itemSizeBytes,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_BYTES,
  MESSAGE_SK_MAX,
  META_SK,
  messageSk,
  sessionPk,
} from "./schema.js";
import {
  isLiveItem,
  type MessageItem,
  namesFor,
  type SessionItem,
  toMessage,
  toSession,
} from "./session-items.js";

/** Retries of an append that lost a race (another append committed larger ids first, or a transaction conflict). */
const APPEND_ATTEMPTS = 60;

/**
 * One TransactWriteItems: the meta item's update (condition: live, and every new id sorts after its
 * `lastMessageId`; ADD messageCount; slide expiry) plus one Put per message. History is never rewritten,
 * so the cost is the same at turn 1 and turn 10,000. Ids are ULIDs from the store's clock; when another
 * writer committed larger ids first, the failed condition's ALL_OLD item tells us its `lastMessageId` and
 * we retry with ids after it.
 */
export async function appendMessages(
  context: StoreContext,
  sessionId: string,
  input: MessageInput | MessageInput[],
): Promise<Message[]> {
  validateId("sessionId", sessionId);
  const inputs = validateMessages(input);
  const encodedMetadata = inputs.map((m) => (m.metadata === undefined ? undefined : encodeJson(m.metadata)));
  const pk = sessionPk(sessionId);
  for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
    const now = context.clock();
    const items: MessageItem[] = inputs.map((m, i) => {
      const item: MessageItem = {
        pk,
        sk: messageSk(context.ids.next()),
        role: m.role,
        content: m.content,
        timestamp: m.timestamp ?? now,
        ttl: toEpochSeconds(now) + context.messageTtlSeconds,
      };
      const metadata = encodedMetadata[i];
      if (metadata !== undefined) item.metadata = metadata;
      return item;
    });
    checkSizes(items);
    const firstId = items[0]?.sk.slice(2) ?? "";
    const lastId = items[items.length - 1]?.sk.slice(2) ?? "";
    const names = namesFor(
      "#pk",
      "#expiresAt",
      "#lastMessageId",
      "#lastActiveAt",
      "#ttlMs",
      "#ttl",
      "#ttlSeconds",
      "#messageCount",
      "#messagesTtl",
    );
    const values: Record<string, unknown> = {
      ":now": now,
      ":nowSeconds": toEpochSeconds(now),
      ":first": firstId,
      ":last": lastId,
      ":count": items.length,
      ":messagesTtl": toEpochSeconds(now) + context.messageTtlSeconds,
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
              TableName: context.tables.sessions,
              Key: { pk, sk: META_SK },
              ConditionExpression: "attribute_exists(#pk) AND #expiresAt > :now AND #lastMessageId < :first",
              UpdateExpression:
                "SET #lastMessageId = :last, #lastActiveAt = :now, #expiresAt = :now + #ttlMs, " +
                `#ttl = :nowSeconds + #ttlSeconds, #messagesTtl = if_not_exists(#messagesTtl, :messagesTtl)${regionSet} ` +
                "ADD #messageCount :count",
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          ...items.map((item) => ({ Put: { TableName: context.tables.sessions, Item: item } })),
        ],
      });
      return items.map(toMessage);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === null) throw toStoreError(error, "sessions.append");
      const meta = reasons[0];
      if (meta?.code === "ConditionalCheckFailed") {
        const old =
          meta.item ??
          (await itemBehindConditionFailure(
            context,
            error,
            context.tables.sessions,
            { pk, sk: META_SK },
            "sessions.append",
          ));
        if (old === null || !isLiveItem(old, now)) throw new SessionNotFoundError(sessionId);
        context.ids.observe(String(old.lastMessageId));
      } else if (!reasons.some((r) => r.code === "TransactionConflict")) {
        throw toStoreError(error, "sessions.append");
      }
      await sleep(backoffDelayMs(Math.min(attempt, 6)));
    }
  }
  throw new ThrottledError(
    `sessions.append: lost ${APPEND_ATTEMPTS} races for session ${JSON.stringify(sessionId)}`,
  );
}

function checkSizes(items: MessageItem[]): void {
  let total = 0;
  for (const item of items) {
    const size = itemSizeBytes(item as unknown as Record<string, unknown>);
    if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError("sessions.append: message", size, MAX_ITEM_BYTES);
    total += size;
  }
  // The meta update rides in the same request; leave it a few KB.
  if (total + 8 * 1024 > MAX_TRANSACTION_BYTES) {
    throw new ItemTooLargeError("sessions.append: messages of one append", total, MAX_TRANSACTION_BYTES);
  }
}

/**
 * The session and its last `count` messages in one Query (descending from the top of the partition: the
 * meta item sorts above every message). Continues past a 1 MB page; stops at the first message of an
 * earlier incarnation.
 */
export async function readRecent(
  context: StoreContext,
  sessionId: string,
  count: number,
): Promise<(Session & { recentMessages: Message[] }) | null> {
  const now = context.clock();
  let meta: SessionItem | null = null;
  const newestFirst: Message[] = [];
  let startKey: Record<string, unknown> | undefined;
  for (;;) {
    let output: Awaited<ReturnType<typeof context.reader.query>>;
    try {
      output = await context.reader.query({
        TableName: context.tables.sessions,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: namesFor("#pk"),
        ExpressionAttributeValues: { ":pk": sessionPk(sessionId) },
        ScanIndexForward: false,
        Limit: count - newestFirst.length + (meta === null ? 1 : 0),
        ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        ...readConsistency(context),
      });
    } catch (error) {
      throw toStoreError(error, "sessions.get");
    }
    for (const item of output.Items ?? []) {
      if (meta === null) {
        if (item.sk !== META_SK || !isLiveItem(item, now)) return null;
        meta = item as SessionItem;
        refreshMessageTtlIfDue(context, meta);
        continue;
      }
      if (String(item.sk) <= messageSk(meta.incarnation)) return finish(meta, newestFirst);
      newestFirst.push(toMessage(item as MessageItem));
      if (newestFirst.length >= count) return finish(meta, newestFirst);
    }
    if (output.LastEvaluatedKey === undefined) return meta === null ? null : finish(meta, newestFirst);
    startKey = output.LastEvaluatedKey;
  }
}

function finish(meta: SessionItem, newestFirst: Message[]): Session & { recentMessages: Message[] } {
  return { ...toSession(meta), recentMessages: newestFirst.reverse() };
}

/** A page of the live incarnation's messages: the meta item (for NOT_FOUND and the incarnation), then a Query. */
export async function listMessages(
  context: StoreContext,
  sessionId: string,
  opts: { limit?: number; cursor?: string; order?: "asc" | "desc" } | undefined,
): Promise<Page<Message>> {
  validateId("sessionId", sessionId);
  const { limit, order, cursor } = parseMessagesOptions(opts);
  const scope = `messages\u0000${sessionId}\u0000${order}`;
  let after: string | undefined;
  if (cursor !== undefined) {
    const position = decodeCursor(scope, cursor);
    if (typeof position !== "string")
      throw new ValidationError("cursor", "is not a cursor this listing issued");
    after = position;
  }
  const meta = await readMeta(context, sessionId);
  if (meta === null) throw new SessionNotFoundError(sessionId);
  const pk = sessionPk(sessionId);
  const lowest = messageSk(meta.incarnation);
  let startKey: Record<string, unknown> | undefined;
  if (after !== undefined) {
    const cursorSk = messageSk(after);
    // A cursor from an earlier incarnation: ascending starts over, descending has nothing left.
    if (cursorSk > lowest) startKey = { pk, sk: cursorSk };
    else if (order === "desc") return { items: [], cursor: null };
  }
  const messages: Message[] = [];
  for (;;) {
    let output: Awaited<ReturnType<typeof context.reader.query>>;
    try {
      output = await context.reader.query({
        TableName: context.tables.sessions,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lowest AND :highest",
        ExpressionAttributeNames: namesFor("#pk", "#sk"),
        ExpressionAttributeValues: { ":pk": pk, ":lowest": lowest, ":highest": MESSAGE_SK_MAX },
        ScanIndexForward: order === "asc",
        Limit: limit - messages.length + 1,
        ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        ...readConsistency(context),
      });
    } catch (error) {
      throw toStoreError(error, "sessions.messages");
    }
    for (const item of output.Items ?? []) {
      if (item.sk === lowest) continue;
      messages.push(toMessage(item as MessageItem));
    }
    if (messages.length > limit) {
      const page = messages.slice(0, limit);
      return { items: page, cursor: encodeCursor(scope, page[limit - 1]?.id ?? "") };
    }
    if (output.LastEvaluatedKey === undefined) return { items: messages, cursor: null };
    startKey = output.LastEvaluatedKey;
  }
}
