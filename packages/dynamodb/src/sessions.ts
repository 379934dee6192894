import {
  AlreadyExistsError,
  type AppendOptions,
  decodeCursor,
  encodeCursor,
  expiresAtFrom,
  ItemTooLargeError,
  type Message,
  type MessageInput,
  newSessionId,
  type Page,
  parseGetOptions,
  parsePageOptions,
  parseUpdateOptions,
  type Session,
  type SessionChanges,
  type SessionInit,
  SessionNotFoundError,
  type SessionStore,
  type TruncateOptions,
  toEpochSeconds,
  UnavailableError,
  ValidationError,
  VersionConflictError,
  validateId,
  validateSessionChanges,
  validateSessionInit,
} from "@agent-state/core";
import { batchGetAll } from "./batch.js";
import { itemBehindConditionFailure } from "./condition-failure.js";
import type { StoreContext } from "./context.js";
import { isConditionFailure, toStoreError } from "./errors.js";
import { encodeJson } from "./json-codec.js";
import { refreshMessageTtlIfDue } from "./message-ttl.js";
import { appendMessages, listMessages, readRecent } from "./messages.js";
import { readMeta } from "./meta-read.js";
import { purgeMessages } from "./purge.js";
import { MAX_ITEM_BYTES, META_SK, sessionPk, USER_INDEX } from "./schema.js";
import { isLiveItem, NAMES, namesFor, type SessionItem, toSession } from "./session-items.js";
import { truncateMessages } from "./truncate.js";

/** Room in a meta item for everything but the state (ids of up to 256 characters, numbers, names). */
const META_OVERHEAD_BYTES = 4 * 1024;
const CREATE_ATTEMPTS = 5;

/** Sessions and their messages on the sessions table (see schema.ts for the layout). */
export class DynamoSessions implements SessionStore {
  constructor(private readonly context: StoreContext) {}

  /** Creates a session (version 1, no messages); `AlreadyExistsError` if a live one has the id. */
  async create(init?: SessionInit): Promise<Session> {
    const valid = validateSessionInit(init);
    const { context } = this;
    const now = context.clock();
    const sessionId = valid.sessionId ?? newSessionId();
    const ttlSeconds = valid.ttlSeconds ?? context.sessionTtlSeconds;
    const state = encodeJson(valid.state ?? {});
    checkStateSize(state, "sessions.create");
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const incarnation = context.ids.next();
      const expiresAt = expiresAtFrom(now, ttlSeconds);
      const item: SessionItem = {
        pk: sessionPk(sessionId),
        sk: META_SK,
        sessionId,
        ...(valid.userId !== undefined ? { userId: valid.userId } : {}),
        ...(valid.agentId !== undefined ? { agentId: valid.agentId } : {}),
        state,
        version: 1,
        messageCount: 0,
        ...(context.region !== null ? { lastActiveRegion: context.region } : {}),
        createdAt: now,
        lastActiveAt: now,
        expiresAt,
        ttl: toEpochSeconds(expiresAt),
        ttlMs: ttlSeconds * 1000,
        ttlSeconds,
        incarnation,
        lastMessageId: incarnation,
        tailMessageId: incarnation,
      };
      try {
        await context.writer.put({
          TableName: context.tables.sessions,
          Item: item,
          // An expired session may be replaced, provided the new incarnation sorts after its messages.
          ConditionExpression:
            "attribute_not_exists(#pk) OR (#expiresAt <= :now AND #lastMessageId < :incarnation)",
          ExpressionAttributeNames: namesFor("#pk", "#expiresAt", "#lastMessageId"),
          ExpressionAttributeValues: { ":now": now, ":incarnation": incarnation },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        });
        context.incarnations.set(sessionId, incarnation);
        return toSession(item);
      } catch (error) {
        if (!isConditionFailure(error)) throw toStoreError(error, "sessions.create");
        const old = await itemBehindConditionFailure(
          context,
          error,
          context.tables.sessions,
          { pk: item.pk, sk: META_SK },
          "sessions.create",
        );
        // Gone since (only possible when it had to be read back): try again.
        if (old === null) continue;
        if (isLiveItem(old, now)) throw new AlreadyExistsError(sessionId);
        context.ids.observe(String(old.lastMessageId));
      }
    }
    throw new UnavailableError(
      `sessions.create: could not pick an incarnation id for ${JSON.stringify(sessionId)}`,
    );
  }

  /** The live session or null; with `recentMessages: n` also its last n messages, in one Query. */
  async get(
    sessionId: string,
    opts?: { recentMessages?: number },
  ): Promise<(Session & { recentMessages?: Message[] }) | null> {
    validateId("sessionId", sessionId);
    const count = parseGetOptions(opts);
    if (count !== undefined && count > 0) return readRecent(this.context, sessionId, count);
    const item = await readMeta(this.context, sessionId);
    if (item === null) return null;
    const session = toSession(item);
    return count === 0 ? { ...session, recentMessages: [] } : session;
  }

  /** One conditional UpdateItem; a failed condition reports the stored version (ALL_OLD), no second read. */
  async update(
    sessionId: string,
    changes: SessionChanges,
    opts?: { expectedVersion?: number },
  ): Promise<Session> {
    validateId("sessionId", sessionId);
    const valid = validateSessionChanges(changes);
    const expectedVersion = parseUpdateOptions(opts);
    const { context } = this;
    const now = context.clock();
    const sets = [
      "#version = #version + :one",
      "#lastActiveAt = :now",
      "#expiresAt = :now + #ttlMs",
      "#ttl = :nowSeconds + #ttlSeconds",
    ];
    const removes: string[] = [];
    const names = namesFor("#pk", "#version", "#lastActiveAt", "#expiresAt", "#ttlMs", "#ttl", "#ttlSeconds");
    const values: Record<string, unknown> = { ":one": 1, ":now": now, ":nowSeconds": toEpochSeconds(now) };
    if (valid.state !== undefined) {
      const state = encodeJson(valid.state);
      checkStateSize(state, "sessions.update");
      sets.push("#state = :state");
      names["#state"] = NAMES["#state"];
      values[":state"] = state;
    }
    if (valid.lastToolCall !== undefined) {
      names["#lastToolCall"] = NAMES["#lastToolCall"];
      if (valid.lastToolCall === null) removes.push("#lastToolCall");
      else {
        sets.push("#lastToolCall = :lastToolCall");
        values[":lastToolCall"] = valid.lastToolCall;
      }
    }
    if (context.region !== null) {
      sets.push("#region = :region");
      names["#region"] = NAMES["#region"];
      values[":region"] = context.region;
    }
    let condition = "attribute_exists(#pk) AND #expiresAt > :now";
    if (expectedVersion !== undefined) {
      condition += " AND #version = :expected";
      values[":expected"] = expectedVersion;
    }
    try {
      const output = await context.writer.update({
        TableName: context.tables.sessions,
        Key: { pk: sessionPk(sessionId), sk: META_SK },
        UpdateExpression: `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      });
      const updated = output.Attributes as SessionItem;
      refreshMessageTtlIfDue(context, updated);
      return toSession(updated);
    } catch (error) {
      if (!isConditionFailure(error)) throw toStoreError(error, "sessions.update");
      const old = await itemBehindConditionFailure(
        context,
        error,
        context.tables.sessions,
        { pk: sessionPk(sessionId), sk: META_SK },
        "sessions.update",
      );
      if (old === null || !isLiveItem(old, now) || expectedVersion === undefined) {
        throw new SessionNotFoundError(sessionId);
      }
      throw new VersionConflictError(sessionId, expectedVersion, Number(old.version));
    }
  }

  /** Appends atomically with the meta update (one TransactWriteItems); see messages.ts. */
  append(
    sessionId: string,
    messages: MessageInput | MessageInput[],
    opts?: AppendOptions,
  ): Promise<Message[]> {
    return appendMessages(this.context, sessionId, messages, opts);
  }

  /** Removes the newest messages in one TransactWriteItems with the meta update; see truncate.ts. */
  truncate(sessionId: string, opts: TruncateOptions): Promise<Message[]> {
    return truncateMessages(this.context, sessionId, opts);
  }

  /** A page of messages in append order (or reversed); `SessionNotFoundError` if the session is not live. */
  messages(
    sessionId: string,
    opts?: { limit?: number; cursor?: string; order?: "asc" | "desc" },
  ): Promise<Page<Message>> {
    return listMessages(this.context, sessionId, opts);
  }

  /**
   * Deletes the meta item first (so no append can land afterwards), then every message item up to the
   * deleted incarnation's last id: ⌈n/25⌉ BatchWriteItem calls plus the Query pages. False if not live.
   */
  async delete(sessionId: string): Promise<boolean> {
    validateId("sessionId", sessionId);
    const { context } = this;
    const now = context.clock();
    let old: SessionItem | undefined;
    try {
      const output = await context.writer.delete({
        TableName: context.tables.sessions,
        Key: { pk: sessionPk(sessionId), sk: META_SK },
        ReturnValues: "ALL_OLD",
      });
      old = output.Attributes as SessionItem | undefined;
    } catch (error) {
      throw toStoreError(error, "sessions.delete");
    }
    if (old === undefined) return false;
    context.incarnations.delete(sessionId);
    await purgeMessages(context, sessionId, old.lastMessageId, old.incarnation);
    return isLiveItem(old, now);
  }

  /**
   * The user's live sessions, ordered by session id: a Query of the keys-only `byUser` index (so appends and
   * updates never write to the index) and one BatchGetItem of the meta items per page, through the reader.
   */
  async listByUser(userId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<Session>> {
    validateId("userId", userId);
    const { limit, cursor } = parsePageOptions(opts);
    const scope = `listByUser\u0000${userId}`;
    let startKey: Record<string, unknown> | undefined;
    if (cursor !== undefined) {
      const position = decodeCursor(scope, cursor);
      if (typeof position !== "string")
        throw new ValidationError("cursor", "is not a cursor this listing issued");
      startKey = { userId, sessionId: position, pk: sessionPk(position), sk: META_SK };
    }
    const { context } = this;
    const now = context.clock();
    const sessions: Session[] = [];
    for (;;) {
      let output: Awaited<ReturnType<typeof context.reader.query>>;
      try {
        output = await context.reader.query({
          TableName: context.tables.sessions,
          IndexName: USER_INDEX,
          KeyConditionExpression: "#userId = :userId",
          ExpressionAttributeNames: namesFor("#userId"),
          ExpressionAttributeValues: { ":userId": userId },
          Limit: limit - sessions.length + 1,
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        });
      } catch (error) {
        throw toStoreError(error, "sessions.listByUser");
      }
      const keys = (output.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
      const metas = await batchGetAll(
        context.reader,
        context.tables.sessions,
        keys,
        context.consistentReads,
        "sessions.listByUser",
      );
      const byPk = new Map(metas.map((item) => [String(item.pk), item as unknown as SessionItem]));
      for (const key of keys) {
        const item = byPk.get(String(key.pk));
        // The index is eventually consistent: skip entries whose session is gone, expired or now another user's.
        if (item !== undefined && isLiveItem(item, now) && item.userId === userId)
          sessions.push(toSession(item));
      }
      if (sessions.length > limit) {
        const page = sessions.slice(0, limit);
        return { items: page, cursor: encodeCursor(scope, page[limit - 1]?.sessionId ?? "") };
      }
      if (output.LastEvaluatedKey === undefined) return { items: sessions, cursor: null };
      startKey = output.LastEvaluatedKey;
    }
  }
}

function checkStateSize(state: string, what: string): void {
  const size = Buffer.byteLength(state, "utf8") + META_OVERHEAD_BYTES;
  if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError(`${what}: session state`, size, MAX_ITEM_BYTES);
}
