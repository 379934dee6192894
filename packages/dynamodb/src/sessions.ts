import { randomUUID } from "node:crypto";
import {
  AlreadyExistsError,
  type AppendOptions,
  decodeCursor,
  encodeCursor,
  expiresAtFrom,
  isStateStoreError,
  type Json,
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
import { dropChunksOf, type PackedJson, packJson, writePackedChunks } from "./packed-json.js";
import { purgeMessages } from "./purge.js";
import { META_SK, sessionPk, USER_INDEX } from "./schema.js";
import { isLiveItem, NAMES, namesFor, type SessionItem, toSession } from "./session-items.js";
import { sessionOf, stateAttributes, statePlace } from "./session-state.js";
import { truncateMessages } from "./truncate.js";

const CREATE_ATTEMPTS = 5;

/** Sessions and their messages on the sessions table (see schema.ts for the layout). */
export class DynamoSessions implements SessionStore {
  constructor(private readonly context: StoreContext) {}

  /** Creates a session (version 1, no messages); `AlreadyExistsError` if a live one has the id. */
  async create(init?: SessionInit): Promise<Session> {
    const valid = validateSessionInit(init);
    const { context } = this;
    const sessionId = valid.sessionId ?? newSessionId();
    const state = valid.state ?? {};
    // A large state's chunks go first; the meta item naming them is the commit point.
    const place = statePlace(context, sessionId);
    const packed = await packJson(encodeJson(state), place, randomUUID());
    await writePackedChunks(context, context.tables.sessions, packed, "sessions.create");
    try {
      return await this.createMeta(sessionId, valid, state, packed, place.ttl);
    } catch (error) {
      // Not written (the id is taken): its chunks go too. Any other failure may have committed, so its chunks
      // stay (their ttl removes them otherwise).
      if (isStateStoreError(error, "ALREADY_EXISTS")) {
        await dropChunksOf(context, context.tables.sessions, place, packed.attributes ?? {});
      }
      throw error;
    }
  }

  private async createMeta(
    sessionId: string,
    valid: SessionInit,
    state: Record<string, Json>,
    packed: PackedJson,
    chunksTtl: number | undefined,
  ): Promise<Session> {
    const { context } = this;
    const now = context.clock();
    const ttlSeconds = valid.ttlSeconds ?? context.sessionTtlSeconds;
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const incarnation = context.ids.next();
      const expiresAt = expiresAtFrom(now, ttlSeconds);
      const item: SessionItem = {
        pk: sessionPk(sessionId),
        sk: META_SK,
        sessionId,
        ...(valid.userId !== undefined ? { userId: valid.userId } : {}),
        ...(valid.agentId !== undefined ? { agentId: valid.agentId } : {}),
        ...stateAttributes(packed).set,
        ...(packed.chunks.length > 0 && chunksTtl !== undefined ? { messagesTtl: chunksTtl } : {}),
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
        return toSession(item, state);
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
    const session = await sessionOf(this.context, item, "sessions.get");
    if (session === null) return null;
    return count === 0 ? { ...session, recentMessages: [] } : session;
  }

  /**
   * One conditional UpdateItem; a failed condition reports the stored version (ALL_OLD), no second read. A state
   * of 4 KB or more is packed (compressed, inline or chunked: see packed-json.ts); its chunks are written first
   * and the UpdateItem that names them commits it, so a reader sees the old state or the new one, whole. The
   * replaced state's chunks are removed after the commit; a failed update removes the new ones and leaves the old
   * state as it was.
   */
  async update(
    sessionId: string,
    changes: SessionChanges,
    opts?: { expectedVersion?: number },
  ): Promise<Session> {
    validateId("sessionId", sessionId);
    const valid = validateSessionChanges(changes);
    const expectedVersion = parseUpdateOptions(opts);
    const { context } = this;
    const table = context.tables.sessions;
    const place = statePlace(context, sessionId);
    let packed: PackedJson | undefined;
    if (valid.state !== undefined) {
      packed = await packJson(encodeJson(valid.state), place, randomUUID());
      await writePackedChunks(context, table, packed, "sessions.update");
    }
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
    const stateChange = packed === undefined ? undefined : stateAttributes(packed);
    if (stateChange !== undefined) {
      for (const [name, value] of Object.entries(stateChange.set)) {
        sets.push(`#s_${name} = :s_${name}`);
        names[`#s_${name}`] = name;
        values[`:s_${name}`] = value;
      }
      for (const name of stateChange.remove) {
        removes.push(`#s_${name}`);
        names[`#s_${name}`] = name;
      }
      if (packed !== undefined && packed.chunks.length > 0) {
        // The chunks expire like messages: the ttl refresh keeps them while the session is active.
        sets.push("#messagesTtl = if_not_exists(#messagesTtl, :chunksTtl)");
        names["#messagesTtl"] = NAMES["#messagesTtl"];
        values[":chunksTtl"] = place.ttl;
      }
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
    let old: SessionItem;
    try {
      const output = await context.writer.update({
        TableName: table,
        Key: { pk: sessionPk(sessionId), sk: META_SK },
        UpdateExpression: `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // The old item: the new one follows from it, and it names the chunks of the state replaced.
        ReturnValues: "ALL_OLD",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      });
      old = output.Attributes as SessionItem;
    } catch (error) {
      if (!isConditionFailure(error)) throw toStoreError(error, "sessions.update");
      // Nothing was written: the new state's chunks go, the old state stays whole.
      if (packed !== undefined) await dropChunksOf(context, table, place, packed.attributes ?? {});
      const stored = await itemBehindConditionFailure(
        context,
        error,
        table,
        { pk: sessionPk(sessionId), sk: META_SK },
        "sessions.update",
      );
      if (stored === null || !isLiveItem(stored, now) || expectedVersion === undefined) {
        throw new SessionNotFoundError(sessionId);
      }
      throw new VersionConflictError(sessionId, expectedVersion, Number(stored.version));
    }
    const updated = updatedItem(
      old,
      now,
      stateChange?.set,
      stateChange?.remove,
      valid.lastToolCall,
      context.region,
    );
    if (packed !== undefined && packed.chunks.length > 0 && updated.messagesTtl === undefined) {
      updated.messagesTtl = values[":chunksTtl"] as number;
    }
    if (stateChange !== undefined) await dropChunksOf(context, table, place, old);
    refreshMessageTtlIfDue(context, updated);
    if (valid.state !== undefined) return toSession(updated, valid.state);
    const session = await sessionOf(context, updated, "sessions.update");
    if (session === null) throw new SessionNotFoundError(sessionId);
    return session;
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
    await dropChunksOf(context, context.tables.sessions, statePlace(context, sessionId), old);
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
      const found = await Promise.all(
        keys.map((key) => {
          const item = byPk.get(String(key.pk));
          // The index is eventually consistent: skip entries whose session is gone, expired or now another user's.
          return item !== undefined && isLiveItem(item, now) && item.userId === userId
            ? sessionOf(context, item, "sessions.listByUser")
            : null;
        }),
      );
      for (const session of found) if (session !== null && session.userId === userId) sessions.push(session);
      if (sessions.length > limit) {
        const page = sessions.slice(0, limit);
        return { items: page, cursor: encodeCursor(scope, page[limit - 1]?.sessionId ?? "") };
      }
      if (output.LastEvaluatedKey === undefined) return { items: sessions, cursor: null };
      startKey = output.LastEvaluatedKey;
    }
  }
}

/**
 * The meta item after an update, from the item before it (ALL_OLD) and what the update expression did: version
 * + 1, activity and expiry slid, the state attributes replaced, the last tool call and region set.
 */
function updatedItem(
  old: SessionItem,
  now: number,
  stateSet: Record<string, unknown> | undefined,
  stateRemove: string[] | undefined,
  lastToolCall: string | null | undefined,
  region: string | null,
): SessionItem {
  const item: SessionItem = {
    ...old,
    version: old.version + 1,
    lastActiveAt: now,
    expiresAt: now + old.ttlMs,
    ttl: toEpochSeconds(now) + old.ttlSeconds,
  };
  const attributes = item as unknown as Record<string, unknown>;
  for (const name of stateRemove ?? []) delete attributes[name];
  Object.assign(item, stateSet);
  if (lastToolCall === null) delete item.lastToolCall;
  else if (lastToolCall !== undefined) item.lastToolCall = lastToolCall;
  if (region !== null) item.lastActiveRegion = region;
  return item;
}
