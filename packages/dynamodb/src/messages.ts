import {
  appendFingerprint,
  decodeCursor,
  encodeCursor,
  idempotencyKeyReused,
  LIMITS,
  type Message,
  type MessageInput,
  type Page,
  parseAppendOptions,
  parseMessagesOptions,
  type Session,
  SessionNotFoundError,
  ThrottledError,
  toEpochSeconds,
  tooManyToReplace,
  unknownMessageId,
  ValidationError,
  VersionConflictError,
  validateId,
  validateMessages,
} from "@agent-state/core";
import { backoffDelayMs, sleep } from "./batch.js";
import { itemBehindConditionFailure, strongGet } from "./condition-failure.js";
import { readConsistency, type StoreContext } from "./context.js";
import { cancellationReasons, certainlyNotWritten, toStoreError } from "./errors.js";
import { deleteChunksQuietly, writeChunks } from "./large-values.js";
import { decodeMessages, prepareBodies } from "./message-payload.js";
import { refreshMessageTtlIfDue } from "./message-ttl.js";
import { readMeta } from "./meta-read.js";
import { forEachQueryPage } from "./query-pages.js";
import {
  countAfter,
  deleteRemovedChunks,
  planRemoval,
  type RemovalPlan,
  type RemovalSpec,
} from "./removal.js";
import {
  idempotencySk,
  MESSAGE_SK_MAX,
  META_SK,
  messageChunkBase,
  messageIdOf,
  messageSk,
  sessionPk,
} from "./schema.js";
import { isLiveItem, type MessageItem, namesFor, type SessionItem, tailOf } from "./session-items.js";
import { sessionOf } from "./session-state.js";

/** Retries of an append that lost a race (another append committed larger ids first, or a transaction conflict). */
const APPEND_ATTEMPTS = 60;

/**
 * One TransactWriteItems: the meta item's update (condition: live, every new id sorts after its
 * `lastMessageId`, and the caller's `expectedLastMessageId` if given; ADD messageCount; slide expiry) plus one
 * Put per message, plus the idempotency item when there is a key (condition: not there yet). History is never
 * rewritten, so the cost is the same at turn 1 and turn 10,000. Ids are ULIDs from the store's clock; when
 * another writer committed larger ids first, the failed condition's ALL_OLD item tells us its
 * `lastMessageId` and we retry with ids after it. Large messages' chunks are written before the transaction.
 *
 * With `replace`, each attempt first reads what `truncate` would remove (see removal.ts); the same
 * transaction then also deletes those messages, and the meta condition is truncate's (same incarnation,
 * same last message as read), so a writer that changed the session in between makes it start over from a
 * fresh read. The removed messages' chunks are deleted once it committed.
 */
export async function appendMessages(
  context: StoreContext,
  sessionId: string,
  input: MessageInput | MessageInput[],
  opts: unknown,
): Promise<Message[]> {
  validateId("sessionId", sessionId);
  const inputs = validateMessages(input);
  const { expectedLastMessageId, idempotencyKey, replace } = parseAppendOptions(opts, inputs.length);
  const fingerprint = idempotencyKey === undefined ? undefined : appendFingerprint(inputs, replace);
  const pk = sessionPk(sessionId);
  const table = context.tables.sessions;
  const chunkTtl = toEpochSeconds(context.clock()) + context.messageTtlSeconds;
  const bodies = await prepareBodies(context, pk, inputs, chunkTtl);
  const chunks = bodies.flatMap((b) => b.chunks);
  await writeChunks(context, table, chunks, "sessions.append");
  const dropOwnChunks = () =>
    Promise.all(
      bodies.map((b) =>
        b.attributes.vid === undefined
          ? null
          : deleteChunksQuietly(context, table, pk, messageChunkBase(b.attributes.vid), b.chunks.length),
      ),
    );
  // A replace reads the meta item (and with it the incarnation) on every attempt.
  let incarnation =
    idempotencyKey === undefined || replace !== undefined
      ? undefined
      : (context.incarnations.get(sessionId) ?? (await readIncarnation(context, sessionId)));
  try {
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      let plan: RemovalPlan | null = null;
      if (replace !== undefined) {
        plan = await planRemoval(
          context,
          sessionId,
          replace,
          LIMITS.maxMessagesPerAppend - inputs.length,
          "sessions.append",
        );
        if (plan === null) {
          // Changed between its two reads: read again.
          await sleep(backoffDelayMs(Math.min(attempt, 6)));
          continue;
        }
        incarnation = plan.meta.incarnation;
        context.ids.observe(String(plan.meta.lastMessageId));
        const mismatch = expectedLastMessageId !== undefined && tailOf(plan.meta) !== expectedLastMessageId;
        if (mismatch || plan.refusal !== null) {
          // The key is checked first: a retry of an append that went through replays it.
          if (idempotencyKey !== undefined) {
            const first = await strongGet(
              context,
              context.tables.sessions,
              { pk, sk: idempotencySk(incarnation, idempotencyKey) },
              "sessions.append",
            );
            if (first !== null) return replay(context, sessionId, first, fingerprint ?? "");
          }
          throw await refusalOf(context, plan, sessionId, replace, expectedLastMessageId, inputs.length);
        }
      }
      const now = context.clock();
      const items: MessageItem[] = inputs.map((m, i) => ({
        pk,
        sk: messageSk(context.ids.next()),
        role: m.role,
        timestamp: m.timestamp ?? now,
        ttl: toEpochSeconds(now) + context.messageTtlSeconds,
        ...(bodies[i]?.attributes ?? {}),
      }));
      const firstId = items[0]?.sk.slice(2) ?? "";
      const lastId = items[items.length - 1]?.sk.slice(2) ?? "";
      const removed = plan?.removed ?? [];
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
        "#tail",
      );
      const values: Record<string, unknown> = {
        ":now": now,
        ":nowSeconds": toEpochSeconds(now),
        ":first": firstId,
        ":last": lastId,
        ":count": items.length - removed.length,
        ":messagesTtl": toEpochSeconds(now) + context.messageTtlSeconds,
      };
      let condition = "attribute_exists(#pk) AND #expiresAt > :now AND #lastMessageId < :first";
      if (plan !== null) {
        // The last message as read (which the caller's expectedLastMessageId, if any, was checked against).
        condition +=
          " AND (#tail = :observedTail OR (attribute_not_exists(#tail) AND #lastMessageId = :observedTail))";
        values[":observedTail"] = plan.meta.tailMessageId ?? plan.meta.lastMessageId;
      } else if (expectedLastMessageId !== undefined) {
        if (expectedLastMessageId === null) {
          names["#incarnation"] = "incarnation";
          condition +=
            " AND (#tail = #incarnation OR (attribute_not_exists(#tail) AND #lastMessageId = #incarnation))";
        } else {
          condition +=
            " AND (#tail = :expectedTail OR (attribute_not_exists(#tail) AND #lastMessageId = :expectedTail))";
          values[":expectedTail"] = expectedLastMessageId;
        }
      }
      if (incarnation !== undefined) {
        names["#incarnation"] = "incarnation";
        condition += " AND #incarnation = :incarnation";
        values[":incarnation"] = incarnation;
      }
      let regionSet = "";
      if (context.region !== null) {
        regionSet = ", #region = :region";
        names["#region"] = "lastActiveRegion";
        values[":region"] = context.region;
      }
      const idempotencyItem =
        idempotencyKey === undefined || incarnation === undefined
          ? null
          : {
              pk,
              sk: idempotencySk(incarnation, idempotencyKey),
              fingerprint,
              firstMessageId: firstId,
              lastMessageId: lastId,
              ttl: toEpochSeconds(now) + context.messageTtlSeconds,
            };
      try {
        await context.writer.transactWrite({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: { pk, sk: META_SK },
                ConditionExpression: condition,
                UpdateExpression:
                  "SET #lastMessageId = :last, #tail = :last, #lastActiveAt = :now, #expiresAt = :now + #ttlMs, " +
                  `#ttl = :nowSeconds + #ttlSeconds, #messagesTtl = if_not_exists(#messagesTtl, :messagesTtl)${regionSet} ` +
                  "ADD #messageCount :count",
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
            ...removed.map((item) => ({ Delete: { TableName: table, Key: { pk, sk: item.sk } } })),
            ...items.map((item) => ({ Put: { TableName: table, Item: item } })),
            ...(idempotencyItem === null
              ? []
              : [
                  {
                    Put: {
                      TableName: table,
                      Item: idempotencyItem,
                      ConditionExpression: "attribute_not_exists(#sk)",
                      ExpressionAttributeNames: { "#sk": "sk" },
                      ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
                    },
                  },
                ]),
          ],
        });
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === null) throw toStoreError(error, "sessions.append");
        const meta = reasons[0];
        const idempotency = idempotencyItem === null ? undefined : reasons[reasons.length - 1];
        let old: Record<string, unknown> | null = null;
        if (meta?.code === "ConditionalCheckFailed") {
          old =
            meta.item ??
            (await itemBehindConditionFailure(context, error, table, { pk, sk: META_SK }, "sessions.append"));
          if (old === null || !isLiveItem(old, now)) throw new SessionNotFoundError(sessionId);
          const stored = old as unknown as SessionItem;
          if (plan === null && incarnation !== undefined && stored.incarnation !== incarnation) {
            // Our hint named an earlier incarnation of this session id: try again on the live one.
            incarnation = stored.incarnation;
            context.incarnations.set(sessionId, incarnation);
            continue;
          }
        }
        if (idempotency?.code === "ConditionalCheckFailed" && idempotencyItem !== null) {
          const first =
            idempotency.item ??
            (await itemBehindConditionFailure(
              context,
              error,
              table,
              { pk, sk: idempotencyItem.sk },
              "sessions.append",
            ));
          if (first !== null) return replay(context, sessionId, first, fingerprint ?? "");
          continue;
        }
        if (old !== null) {
          const stored = old as unknown as SessionItem;
          const actualTail = tailOf(stored);
          if (expectedLastMessageId !== undefined && actualTail !== expectedLastMessageId) {
            throw VersionConflictError.forLastMessage(sessionId, expectedLastMessageId, actualTail);
          }
          context.ids.observe(String(stored.lastMessageId));
        } else if (!reasons.some((r) => r.code === "TransactionConflict")) {
          throw toStoreError(error, "sessions.append");
        }
        // A replace starts over from a fresh read of what it removes.
        await sleep(backoffDelayMs(Math.min(attempt, 6)));
        continue;
      }
      if (plan !== null) await deleteRemovedChunks(context, sessionId, removed);
      return items.map((item, i): Message => {
        const m = inputs[i] as MessageInput;
        return {
          id: messageIdOf(item.sk),
          role: m.role,
          content: m.content,
          timestamp: item.timestamp,
          ...(m.metadata !== undefined ? { metadata: m.metadata } : {}),
        };
      });
    }
    throw new ThrottledError(
      `sessions.append: lost ${APPEND_ATTEMPTS} races for session ${JSON.stringify(sessionId)}`,
    );
  } catch (error) {
    // After an unknown outcome the messages may have landed: their chunks must stay (they expire with them).
    if (certainlyNotWritten(error)) await dropOwnChunks();
    throw error;
  }
}

/**
 * Why a replace cannot go on, in the order of the contract: the caller's `expectedLastMessageId` against the
 * last message before the removal, then `afterMessageId` not a live message, then too many removed and
 * appended together.
 */
async function refusalOf(
  context: StoreContext,
  plan: RemovalPlan,
  sessionId: string,
  replace: RemovalSpec,
  expectedLastMessageId: string | null | undefined,
  appended: number,
): Promise<Error> {
  const actual = tailOf(plan.meta);
  if (expectedLastMessageId !== undefined && actual !== expectedLastMessageId) {
    return VersionConflictError.forLastMessage(sessionId, expectedLastMessageId, actual);
  }
  if (plan.refusal === "tooMany" && replace.afterMessageId !== undefined) {
    const removed = await countAfter(context, sessionId, replace.afterMessageId, "sessions.append");
    return tooManyToReplace(removed, appended);
  }
  return unknownMessageId();
}

/** The live incarnation of a session (one strong GetItem), remembered; SessionNotFoundError when not live. */
async function readIncarnation(context: StoreContext, sessionId: string): Promise<string> {
  let item: SessionItem | undefined;
  try {
    const output = await context.main.get({
      TableName: context.tables.sessions,
      Key: { pk: sessionPk(sessionId), sk: META_SK },
      ConsistentRead: true,
      ProjectionExpression: "#incarnation, #expiresAt",
      ExpressionAttributeNames: { "#incarnation": "incarnation", "#expiresAt": "expiresAt" },
    });
    item = output.Item as SessionItem | undefined;
  } catch (error) {
    throw toStoreError(error, "sessions.append");
  }
  if (item === undefined || !isLiveItem(item, context.clock())) throw new SessionNotFoundError(sessionId);
  context.incarnations.set(sessionId, item.incarnation);
  return item.incarnation;
}

/**
 * The answer to a retried append: the first call's messages (those not truncated since), read back by their
 * id range; or, when the key came with other messages, the reuse error. Writes nothing.
 */
async function replay(
  context: StoreContext,
  sessionId: string,
  first: Record<string, unknown>,
  fingerprint: string,
): Promise<Message[]> {
  if (first.fingerprint !== fingerprint) throw idempotencyKeyReused();
  const items: MessageItem[] = [];
  await forEachQueryPage(
    context.main,
    {
      TableName: context.tables.sessions,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :first AND :last",
      ExpressionAttributeNames: namesFor("#pk", "#sk"),
      ExpressionAttributeValues: {
        ":pk": sessionPk(sessionId),
        ":first": messageSk(String(first.firstMessageId)),
        ":last": messageSk(String(first.lastMessageId)),
      },
      ConsistentRead: true,
    },
    "sessions.append",
    (page) => {
      items.push(...(page as unknown as MessageItem[]));
    },
  );
  return decodeMessages(context, items, "sessions.append");
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
  const newestFirst: MessageItem[] = [];
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
      if (String(item.sk) <= messageSk(meta.incarnation)) return finish(context, meta, newestFirst);
      newestFirst.push(item as MessageItem);
      if (newestFirst.length >= count) return finish(context, meta, newestFirst);
    }
    if (output.LastEvaluatedKey === undefined)
      return meta === null ? null : finish(context, meta, newestFirst);
    startKey = output.LastEvaluatedKey;
  }
}

async function finish(
  context: StoreContext,
  meta: SessionItem,
  newestFirst: MessageItem[],
): Promise<(Session & { recentMessages: Message[] }) | null> {
  const recentMessages = await decodeMessages(context, newestFirst.reverse(), "sessions.get");
  // A packed state is read from its head or chunks (null: the session went away meanwhile).
  const session = await sessionOf(context, meta, "sessions.get");
  return session === null ? null : { ...session, recentMessages };
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
    const items = (output.Items ?? []).filter((item) => item.sk !== lowest) as unknown as MessageItem[];
    messages.push(...(await decodeMessages(context, items, "sessions.messages")));
    if (messages.length > limit) {
      const page = messages.slice(0, limit);
      return { items: page, cursor: encodeCursor(scope, page[limit - 1]?.id ?? "") };
    }
    if (output.LastEvaluatedKey === undefined) return { items: messages, cursor: null };
    startKey = output.LastEvaluatedKey;
  }
}
