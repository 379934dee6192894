import {
  AlreadyExistsError,
  type AppendOptions,
  appendFingerprint,
  decodeCursor,
  encodeCursor,
  expiresAtFrom,
  idempotencyKeyReused,
  LIMITS,
  type Message,
  type MessageInput,
  newSessionId,
  type Page,
  parseAppendOptions,
  parseGetOptions,
  parseMessagesOptions,
  parsePageOptions,
  parseSequenceMessageId,
  parseTruncateOptions,
  parseUpdateOptions,
  type ReplaceTarget,
  type Session,
  type SessionChanges,
  type SessionInit,
  SessionNotFoundError,
  type SessionStore,
  sequenceMessageId,
  type TruncateOptions,
  tooManyToReplace,
  tooManyToTruncate,
  unknownMessageId,
  ValidationError,
  VersionConflictError,
  validateId,
  validateMessages,
  validateSessionChanges,
  validateSessionInit,
} from "@agent-state/core";
import { isTransactionRefused, send, transaction } from "./client.js";
import {
  encodeMessage,
  fieldsOf,
  messageFromEntry,
  messageOfEntry,
  messagesFromEntriesNewestFirst,
  messagesFromFlatNewestFirst,
  SESSION_FIELDS,
  sessionFromFields,
  sessionFromValues,
} from "./codec.js";
import type { StoreContext } from "./context.js";
import { guarded } from "./errors.js";
import {
  APPEND_MESSAGES,
  CREATE_SESSION,
  DELETE_SESSION,
  GET_SESSION_WITH_RECENT,
  PAGE_MESSAGES,
  TRUNCATE_MESSAGES,
  UPDATE_SESSION,
} from "./scripts/session-scripts.js";
import { SessionIndex } from "./session-index.js";
import { checkSize } from "./size.js";

/** Sessions as a meta hash plus a message stream under one hash tag; see keys.ts. */
export class RedisSessionStore implements SessionStore {
  private readonly index: SessionIndex;

  constructor(private readonly context: StoreContext) {
    this.index = new SessionIndex(context);
  }

  private sessionKeys(sessionId: string): string[] {
    return this.context.keys.sessionKeys(sessionId);
  }

  /** Creates a session (version 1, no messages); ALREADY_EXISTS when a live one has the id. */
  async create(rawInit?: SessionInit): Promise<Session> {
    const init = validateSessionInit(rawInit);
    const sessionId = init.sessionId ?? newSessionId();
    const ttlSeconds = init.ttlSeconds ?? this.context.options.ttlSeconds.session;
    const stateJson = JSON.stringify(init.state ?? {});
    checkSize("session state", [stateJson]);
    const now = this.context.options.clock();
    const expiresAt = expiresAtFrom(now, ttlSeconds);
    const registeredUntil = String(expiresAt + ttlSeconds * 1000);
    const session: Session = {
      sessionId,
      userId: init.userId ?? null,
      agentId: init.agentId ?? null,
      state: JSON.parse(stateJson),
      version: 1,
      messageCount: 0,
      lastToolCall: null,
      lastActiveRegion: null,
      createdAt: now,
      lastActiveAt: now,
      expiresAt,
    };
    const args = [now, expiresAt, ttlSeconds * 1000, registeredUntil, sessionId];
    const created = await guarded("sessions.create", async () => {
      // Listing it in its user's index is harmless if the create loses (listings check the session
      // itself), so both go out together: one round trip of latency.
      const [reply] = await Promise.all([
        CREATE_SESSION.run(this.context.client, this.sessionKeys(sessionId), [
          ...args.map(String),
          session.userId ?? "",
          session.agentId ?? "",
          stateJson,
        ]),
        this.index.register(sessionId, session.userId, registeredUntil),
      ]);
      return reply === "ok";
    });
    if (!created) throw new AlreadyExistsError(sessionId);
    return session;
  }

  /**
   * The live session or null; with `recentMessages: n`, also its last n messages, oldest first, read at
   * the same moment as the session (one MULTI/EXEC transaction: its `messageCount` and messages agree).
   */
  async get(
    sessionId: string,
    opts?: { recentMessages?: number },
  ): Promise<(Session & { recentMessages?: Message[] }) | null> {
    validateId("sessionId", sessionId);
    const recent = parseGetOptions(opts);
    const now = this.context.options.clock();
    return guarded("sessions.get", async () => {
      const { client, keys } = this.context;
      if (recent === undefined || recent === 0) {
        const reply = await send(client, "HMGET", [keys.sessionMeta(sessionId), ...SESSION_FIELDS]);
        const session = sessionFromValues(reply, now);
        return session && recent === 0 ? { ...session, recentMessages: [] } : session;
      }
      // A transaction costs the server a quarter of what the same reads cost inside a script (a script
      // converts every stream entry to Lua tables and back), but Redis refuses every command queued in a
      // transaction while it is over maxmemory, reads too; the script (no-writes) still runs then.
      let replies: unknown[];
      try {
        replies = await transaction(client, [
          ["hmget", [keys.sessionMeta(sessionId), ...SESSION_FIELDS]],
          ["xrevrange", [keys.sessionMessages(sessionId), "+", "-", "COUNT", recent]],
        ]);
      } catch (error) {
        if (!isTransactionRefused(error)) throw error;
        return this.getWithScript(sessionId, recent, now);
      }
      const [meta, entries] = replies;
      if (meta instanceof Error) throw meta;
      const session: (Session & { recentMessages?: Message[] }) | null = sessionFromValues(meta, now);
      if (!session) return null;
      if (entries instanceof Error) throw entries;
      session.recentMessages = messagesFromEntriesNewestFirst(entries as unknown[]);
      return session;
    });
  }

  /** `get` with recent messages as one script: what runs when Redis refuses the transaction. */
  private async getWithScript(
    sessionId: string,
    recent: number,
    now: number,
  ): Promise<(Session & { recentMessages: Message[] }) | null> {
    const reply = (await GET_SESSION_WITH_RECENT.run(this.context.client, this.sessionKeys(sessionId), [
      String(now),
      String(recent),
    ])) as [unknown, unknown[]];
    const session = sessionFromValues(reply[0], now);
    if (!session) return null;
    return { ...session, recentMessages: messagesFromFlatNewestFirst(reply[1]) };
  }

  /**
   * Applies `changes`, adds 1 to the version and slides expiry, atomically in one script; with
   * `expectedVersion` only if the stored version equals it (else VERSION_CONFLICT).
   */
  async update(
    sessionId: string,
    rawChanges: SessionChanges,
    opts?: { expectedVersion?: number },
  ): Promise<Session> {
    validateId("sessionId", sessionId);
    const changes = validateSessionChanges(rawChanges);
    const expected = parseUpdateOptions(opts);
    const stateJson = changes.state === undefined ? "" : JSON.stringify(changes.state);
    checkSize("session state", [stateJson]);
    const now = this.context.options.clock();
    const reply = (await guarded("sessions.update", () =>
      UPDATE_SESSION.run(this.context.client, this.sessionKeys(sessionId), [
        String(now),
        expected === undefined ? "" : String(expected),
        changes.state === undefined ? "0" : "1",
        stateJson,
        changes.lastToolCall === undefined ? "0" : "1",
        changes.lastToolCall ?? "",
      ]),
    )) as [string, ...unknown[]];
    if (reply[0] === "missing") throw new SessionNotFoundError(sessionId);
    if (reply[0] === "conflict") throw new VersionConflictError(sessionId, expected ?? 0, Number(reply[1]));
    const session = sessionFromFields(fieldsOf(reply[1]), now);
    if (!session) throw new SessionNotFoundError(sessionId);
    const registeredUntil = String(reply[2] ?? "");
    if (registeredUntil !== "") {
      await guarded("sessions.update", () => this.index.register(sessionId, session.userId, registeredUntil));
    }
    return session;
  }

  /**
   * Appends all messages or none, numbering them after every message ever appended (removed ones
   * included), and slides expiry; one script. With `idempotencyKey`, a key this session has seen returns
   * the first call's messages and writes nothing; with `expectedLastMessageId`, another last message
   * throws VERSION_CONFLICT and writes nothing. With `replace`, the same script first removes what
   * `truncate` would remove (an unknown `afterMessageId`, or removed plus appended over
   * `LIMITS.maxMessagesPerAppend`, throws VALIDATION and writes nothing).
   */
  async append(
    sessionId: string,
    rawMessages: MessageInput | MessageInput[],
    opts?: AppendOptions,
  ): Promise<Message[]> {
    validateId("sessionId", sessionId);
    const inputs = validateMessages(rawMessages);
    const { expectedLastMessageId, idempotencyKey, replace } = parseAppendOptions(opts, inputs.length);
    const now = this.context.options.clock();
    const encoded = inputs.map((input) => encodeMessage(input, now));
    // No checkSize here: core's validateMessages already holds an append to LIMITS (measured on content and
    // metadata, as on every backend); the JSON around them only adds a bounded overhead.
    // A plain append sends only the time and its messages; options go as the script's seven option arguments.
    const args: string[] = [String(now)];
    if (expectedLastMessageId === undefined && idempotencyKey === undefined && replace === undefined) {
      args.push("");
    } else {
      const expected =
        expectedLastMessageId === undefined || expectedLastMessageId === null
          ? ""
          : String(parseSequenceMessageId(expectedLastMessageId) ?? "x");
      args.push(
        "1",
        expectedLastMessageId === undefined ? "0" : "1",
        expected,
        idempotencyKey ?? "",
        idempotencyKey === undefined ? "" : appendFingerprint(inputs, replace),
        ...(replace === undefined
          ? ["", "", ""]
          : removalArgs(replace, LIMITS.maxMessagesPerAppend - inputs.length)),
      );
    }
    for (const json of encoded) args.push(json);
    const reply = (await guarded("sessions.append", () =>
      APPEND_MESSAGES.run(this.context.client, this.sessionKeys(sessionId), args),
    )) as number | [string, ...unknown[]];
    // The common reply: the first new sequence alone (the registration did not move).
    if (typeof reply === "number") return appended(reply, inputs, encoded, now);
    switch (reply[0]) {
      case "ok":
        break;
      case "replay":
        return (reply[1] as unknown[]).map(messageOfEntry);
      case "reused":
        throw idempotencyKeyReused();
      case "conflict":
        throw VersionConflictError.forLastMessage(
          sessionId,
          expectedLastMessageId ?? null,
          lastMessageId(reply[1]),
        );
      case "unknown":
        throw unknownMessageId();
      case "toomany":
        throw tooManyToReplace(Number(reply[1]), inputs.length);
      default:
        throw new SessionNotFoundError(sessionId);
    }
    await this.reregister(sessionId, "sessions.append", reply[2], reply[3]);
    return appended(Number(reply[1]), inputs, encoded, now);
  }

  /**
   * Removes the newest messages (the last `removeLast`, or every one after `afterMessageId`) and returns
   * them oldest first, atomically in one script; later ids still sort after every removed one. Slides
   * expiry; the version is unchanged.
   */
  async truncate(sessionId: string, opts: TruncateOptions): Promise<Message[]> {
    validateId("sessionId", sessionId);
    const checked = parseTruncateOptions(opts);
    const now = this.context.options.clock();
    const reply = (await guarded("sessions.truncate", () =>
      TRUNCATE_MESSAGES.run(this.context.client, this.sessionKeys(sessionId), [
        String(now),
        ...removalArgs(checked, LIMITS.maxMessagesPerTruncate),
      ]),
    )) as [string, ...unknown[]];
    switch (reply[0]) {
      case "ok":
        break;
      case "unknown":
        throw unknownMessageId();
      case "toomany":
        throw tooManyToTruncate(Number(reply[1]));
      default:
        throw new SessionNotFoundError(sessionId);
    }
    const removed = (reply[1] as unknown[]).map(messageOfEntry).reverse();
    await this.reregister(sessionId, "sessions.truncate", reply[2], reply[3]);
    return removed;
  }

  /** Moves the session's registration further when its script says sliding expiry passed it (rare). */
  private async reregister(
    sessionId: string,
    operation: string,
    registration: unknown,
    user: unknown,
  ): Promise<void> {
    const registeredUntil = String(registration ?? "");
    if (registeredUntil === "") return;
    const userId = String(user ?? "") || null;
    await guarded(operation, () => this.index.register(sessionId, userId, registeredUntil));
  }

  /** One page of messages in append order (or reversed), after the position in `cursor`. */
  async messages(
    sessionId: string,
    opts?: { limit?: number; cursor?: string; order?: "asc" | "desc" },
  ): Promise<Page<Message>> {
    validateId("sessionId", sessionId);
    const { limit, order, cursor } = parseMessagesOptions(opts);
    const scope = `redis:messages:${order}:${sessionId}`;
    const after = cursor === undefined ? null : sequenceFromCursor(decodeCursor(scope, cursor));
    const now = this.context.options.clock();
    const reply = (await guarded("sessions.messages", () =>
      PAGE_MESSAGES.run(this.context.client, this.sessionKeys(sessionId), [
        String(now),
        order,
        after === null ? "" : String(after),
        String(limit + 1),
      ]),
    )) as [string, unknown[]] | null;
    if (reply === null) throw new SessionNotFoundError(sessionId);
    const entries = reply[1].map(messageFromEntry);
    const page = entries.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((entry) => entry.message),
      cursor: entries.length > limit && last ? encodeCursor(scope, last.sequence) : null,
    };
  }

  /** Removes the session and all its messages; false when there was no live session. */
  async delete(sessionId: string): Promise<boolean> {
    validateId("sessionId", sessionId);
    const now = this.context.options.clock();
    return guarded("sessions.delete", async () => {
      const [live, userId] = (await DELETE_SESSION.run(this.context.client, this.sessionKeys(sessionId), [
        String(now),
      ])) as [number, string];
      await this.index.unregister(sessionId, userId || null);
      return live === 1;
    });
  }

  /**
   * The user's live sessions in session-id order, a page at a time. Reads the user's index and checks
   * each listed session (dropping ids whose session is gone, expired or now someone else's).
   */
  async listByUser(userId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<Session>> {
    validateId("userId", userId);
    const { limit, cursor } = parsePageOptions(opts);
    const scope = `redis:users:${userId}`;
    let after = cursor === undefined ? null : sessionIdFromCursor(decodeCursor(scope, cursor));
    const now = this.context.options.clock();
    return guarded("sessions.listByUser", async () => {
      const items: Session[] = [];
      for (;;) {
        const wanted = limit - items.length + 1; // one more than fits: tells whether another page exists
        const ids = await this.index.userPage(userId, after, wanted);
        const metas = await Promise.all(
          ids.map((id) => send(this.context.client, "HGETALL", [this.context.keys.sessionMeta(id)])),
        );
        const dead: string[] = [];
        for (const [i, id] of ids.entries()) {
          const session = sessionFromFields(fieldsOf(metas[i]), now);
          if (!session || session.userId !== userId) {
            dead.push(id);
          } else if (items.length === limit) {
            await this.index.dropFromUser(userId, dead);
            return { items, cursor: encodeCursor(scope, items[items.length - 1]!.sessionId) };
          } else {
            items.push(session);
          }
          after = id;
        }
        await this.index.dropFromUser(userId, dead);
        if (ids.length < wanted) return { items, cursor: null };
      }
    });
  }
}

/**
 * What the scripts' removal step takes (see REMOVAL in session-scripts.ts): 'last' and how many, or 'after'
 * and the sequence after which ('' for an id this store never assigns), then the most it may remove.
 */
function removalArgs(target: ReplaceTarget, max: number): [string, string, string] {
  return target.afterMessageId === undefined
    ? ["last", String(target.removeLast), String(max)]
    : ["after", String(parseSequenceMessageId(target.afterMessageId) ?? ""), String(max)];
}

/**
 * The messages an append wrote, numbered from `first`: as a read would return them. Without metadata that is
 * the validated input itself (strings and a whole number: what the stored JSON parses back to); with
 * metadata, parsed back from the JSON stored, so it matches a read exactly.
 */
function appended(first: number, inputs: MessageInput[], encoded: string[], now: number): Message[] {
  return inputs.map((input, i) =>
    input.metadata === undefined
      ? {
          id: sequenceMessageId(first + i),
          role: input.role,
          content: input.content,
          timestamp: input.timestamp ?? now,
        }
      : messageFromEntry([`0-${first + i}`, ["m", encoded[i]]]).message,
  );
}

/** The message id for a sequence a script reported ('' or nothing: the session has no messages). */
function lastMessageId(sequence: unknown): string | null {
  const text = String(sequence ?? "");
  return text === "" ? null : sequenceMessageId(Number(text));
}

function sequenceFromCursor(position: unknown): number {
  if (typeof position !== "number" || !Number.isSafeInteger(position) || position < 0) {
    throw new ValidationError("cursor", "is not a cursor this listing issued");
  }
  return position;
}

function sessionIdFromCursor(position: unknown): string {
  if (typeof position !== "string")
    throw new ValidationError("cursor", "is not a cursor this listing issued");
  return position;
}
