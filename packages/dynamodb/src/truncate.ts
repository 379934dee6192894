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
import { decodeMessages } from "./message-payload.js";
import { countAfter, deleteRemovedChunks, planRemoval } from "./removal.js";
import { META_SK, sessionPk } from "./schema.js";
import { isLiveItem, namesFor } from "./session-items.js";

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
    const plan = await planRemoval(
      context,
      sessionId,
      spec,
      LIMITS.maxMessagesPerTruncate,
      "sessions.truncate",
    );
    if (plan === null) {
      // Changed between its two reads: read again.
      await sleep(backoffDelayMs(Math.min(attempt, 6)));
      continue;
    }
    const { meta, removed, newTail, refusal } = plan;
    if (refusal === "unknownMessageId") throw unknownMessageId();
    if (refusal === "tooMany") {
      throw tooManyToTruncate(
        await countAfter(context, sessionId, spec.afterMessageId ?? "", "sessions.truncate"),
      );
    }
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
    await deleteRemovedChunks(context, sessionId, removed);
    return messages;
  }
  throw new ThrottledError(
    `sessions.truncate: session ${JSON.stringify(sessionId)} kept changing (${TRUNCATE_ATTEMPTS} attempts)`,
  );
}
