import {
  AlreadyExistsError,
  type AppendOptions,
  appendFingerprint,
  decodeCursor,
  encodeCursor,
  expiresAtFrom,
  idempotencyKeyReused,
  isExpired,
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
  type ResolvedCommonOptions,
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

interface SessionRecord {
  session: Session;
  /** Messages in append order, with ids `sequenceMessageId(n)` for increasing n (gaps where truncated). */
  messages: Message[];
  /** The highest sequence ever assigned here: truncated ids are never handed out again. */
  lastSequence: number;
  /** Idempotency key → the first call's fingerprint and the sequence range it appended. */
  appends: Map<string, { fingerprint: string; first: number; last: number }>;
  ttlSeconds: number;
}

/** Sessions held in maps; every method copies in and out, so callers never share objects with the store. */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(private readonly options: ResolvedCommonOptions) {}

  async create(init?: SessionInit): Promise<Session> {
    const valid = validateSessionInit(init);
    const now = this.options.clock();
    const sessionId = valid.sessionId ?? newSessionId();
    if (this.live(sessionId, now)) throw new AlreadyExistsError(sessionId);
    this.remove(sessionId);
    const ttlSeconds = valid.ttlSeconds ?? this.options.ttlSeconds.session;
    const session: Session = {
      sessionId,
      userId: valid.userId ?? null,
      agentId: valid.agentId ?? null,
      state: structuredClone(valid.state ?? {}),
      version: 1,
      messageCount: 0,
      lastToolCall: null,
      lastActiveRegion: null,
      createdAt: now,
      lastActiveAt: now,
      expiresAt: expiresAtFrom(now, ttlSeconds),
    };
    this.records.set(sessionId, { session, messages: [], lastSequence: 0, appends: new Map(), ttlSeconds });
    if (session.userId !== null) {
      const ids = this.byUser.get(session.userId) ?? new Set<string>();
      ids.add(sessionId);
      this.byUser.set(session.userId, ids);
    }
    return structuredClone(session);
  }

  async get(
    sessionId: string,
    opts?: { recentMessages?: number },
  ): Promise<(Session & { recentMessages?: Message[] }) | null> {
    validateId("sessionId", sessionId);
    const recent = parseGetOptions(opts);
    const record = this.live(sessionId, this.options.clock());
    if (!record) return null;
    const session: Session & { recentMessages?: Message[] } = structuredClone(record.session);
    if (recent !== undefined) {
      session.recentMessages = recent === 0 ? [] : structuredClone(record.messages.slice(-recent));
    }
    return session;
  }

  async update(
    sessionId: string,
    changes: SessionChanges,
    opts?: { expectedVersion?: number },
  ): Promise<Session> {
    validateId("sessionId", sessionId);
    const valid = validateSessionChanges(changes);
    const expected = parseUpdateOptions(opts);
    const now = this.options.clock();
    const record = this.live(sessionId, now);
    if (!record) throw new SessionNotFoundError(sessionId);
    const session = record.session;
    if (expected !== undefined && session.version !== expected) {
      throw new VersionConflictError(sessionId, expected, session.version);
    }
    if (valid.state !== undefined) session.state = structuredClone(valid.state);
    if (valid.lastToolCall !== undefined) session.lastToolCall = valid.lastToolCall;
    session.version += 1;
    this.touch(record, now);
    return structuredClone(session);
  }

  async append(
    sessionId: string,
    messages: MessageInput | MessageInput[],
    opts?: AppendOptions,
  ): Promise<Message[]> {
    validateId("sessionId", sessionId);
    const inputs = validateMessages(messages);
    const { expectedLastMessageId, idempotencyKey, replace } = parseAppendOptions(opts, inputs.length);
    const now = this.options.clock();
    const record = this.live(sessionId, now);
    if (!record) throw new SessionNotFoundError(sessionId);
    const fingerprint = idempotencyKey === undefined ? undefined : appendFingerprint(inputs, replace);
    if (idempotencyKey !== undefined) {
      const earlier = record.appends.get(idempotencyKey);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) throw idempotencyKeyReused();
        return structuredClone(
          record.messages.filter((m) => {
            const sequence = sequenceOf(m);
            return sequence >= earlier.first && sequence <= earlier.last;
          }),
        );
      }
    }
    if (expectedLastMessageId !== undefined) {
      const actual = record.messages.at(-1)?.id ?? null;
      if (actual !== expectedLastMessageId) {
        throw VersionConflictError.forLastMessage(sessionId, expectedLastMessageId, actual);
      }
    }
    const keep = replace === undefined ? record.messages.length : this.keptBy(record, replace);
    const removing = record.messages.length - keep;
    if (replace !== undefined && removing + inputs.length > LIMITS.maxMessagesPerAppend) {
      throw tooManyToReplace(removing, inputs.length);
    }
    record.messages.splice(keep);
    const first = record.lastSequence + 1;
    const appended = inputs.map((input, i): Message => {
      const message: Message = {
        id: sequenceMessageId(first + i),
        role: input.role,
        content: input.content,
        timestamp: input.timestamp ?? now,
      };
      if (input.metadata !== undefined) message.metadata = input.metadata;
      return message;
    });
    record.lastSequence += appended.length;
    if (idempotencyKey !== undefined && fingerprint !== undefined) {
      record.appends.set(idempotencyKey, { fingerprint, first, last: record.lastSequence });
    }
    record.messages.push(...appended);
    record.session.messageCount = record.messages.length;
    this.touch(record, now);
    return structuredClone(appended);
  }

  async truncate(sessionId: string, opts: TruncateOptions): Promise<Message[]> {
    validateId("sessionId", sessionId);
    const what = parseTruncateOptions(opts);
    const now = this.options.clock();
    const record = this.live(sessionId, now);
    if (!record) throw new SessionNotFoundError(sessionId);
    const keep = this.keptBy(record, what);
    const count = record.messages.length - keep;
    if (count > LIMITS.maxMessagesPerTruncate) throw tooManyToTruncate(count);
    const removed = record.messages.splice(keep);
    record.session.messageCount = record.messages.length;
    this.touch(record, now);
    return removed;
  }

  async messages(
    sessionId: string,
    opts?: { limit?: number; cursor?: string; order?: "asc" | "desc" },
  ): Promise<Page<Message>> {
    validateId("sessionId", sessionId);
    const { limit, order, cursor } = parseMessagesOptions(opts);
    const scope = `messages\u0000${sessionId}\u0000${order}`;
    const after = cursor === undefined ? null : decodeCursor(scope, cursor);
    const record = this.live(sessionId, this.options.clock());
    if (!record) throw new SessionNotFoundError(sessionId);
    const all = record.messages;
    let afterSequence: number | null = null;
    if (after !== null) {
      afterSequence = typeof after === "string" ? parseSequenceMessageId(after) : null;
      if (afterSequence === null) throw new ValidationError("cursor", "is not a cursor this listing issued");
    }
    let items: Message[];
    if (order === "asc") {
      const start = afterSequence === null ? 0 : firstIndexAbove(all, afterSequence);
      items = all.slice(start, start + limit);
    } else {
      const end = afterSequence === null ? all.length : firstIndexAbove(all, afterSequence - 1);
      items = all.slice(Math.max(0, end - limit), end).reverse();
    }
    const last = items.at(-1);
    const more =
      order === "asc" ? last !== undefined && last !== all.at(-1) : last !== undefined && last !== all[0];
    return { items: structuredClone(items), cursor: more && last ? encodeCursor(scope, last.id) : null };
  }

  async delete(sessionId: string): Promise<boolean> {
    validateId("sessionId", sessionId);
    const wasLive = this.live(sessionId, this.options.clock()) !== null;
    this.remove(sessionId);
    return wasLive;
  }

  async listByUser(userId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<Session>> {
    validateId("userId", userId);
    const { limit, cursor } = parsePageOptions(opts);
    const scope = `sessionsByUser\u0000${userId}`;
    const after = cursor === undefined ? null : decodeCursor(scope, cursor);
    if (after !== null && typeof after !== "string")
      throw new ValidationError("cursor", "is not a cursor this listing issued");
    const now = this.options.clock();
    const ids = [...(this.byUser.get(userId) ?? [])]
      .filter((id) => this.live(id, now) !== null && (after === null || id > after))
      .sort();
    const page = ids.slice(0, limit);
    const items = page.map((id) => structuredClone((this.records.get(id) as SessionRecord).session));
    const last = page.at(-1);
    return { items, cursor: ids.length > limit && last ? encodeCursor(scope, last) : null };
  }

  /** Live sessions, for stats. */
  countLive(now: number): number {
    let count = 0;
    for (const record of this.records.values()) if (!isExpired(record.session.expiresAt, now)) count++;
    return count;
  }

  /** Frees every expired session. */
  sweep(now: number): void {
    for (const [id, record] of this.records) if (isExpired(record.session.expiresAt, now)) this.remove(id);
  }

  clear(): void {
    this.records.clear();
    this.byUser.clear();
  }

  /**
   * How many messages stay when `what` (a truncate's options, or an append's `replace`) removes the newest ones;
   * an `afterMessageId` that is not a message of the session is `ValidationError`.
   */
  private keptBy(record: SessionRecord, what: ReplaceTarget): number {
    if (what.afterMessageId === undefined) return Math.max(0, record.messages.length - what.removeLast);
    const index = this.indexOf(record, what.afterMessageId);
    if (index === null) throw unknownMessageId();
    return index + 1;
  }

  /** The index of the message with this id, or null. */
  private indexOf(record: SessionRecord, messageId: string): number | null {
    const sequence = parseSequenceMessageId(messageId);
    if (sequence === null) return null;
    const index = firstIndexAbove(record.messages, sequence - 1);
    return record.messages[index]?.id === messageId ? index : null;
  }

  /** The record if live; an expired one is freed on sight. */
  private live(sessionId: string, now: number): SessionRecord | null {
    const record = this.records.get(sessionId);
    if (!record) return null;
    if (!isExpired(record.session.expiresAt, now)) return record;
    this.remove(sessionId);
    return null;
  }

  private touch(record: SessionRecord, now: number): void {
    record.session.lastActiveAt = now;
    record.session.expiresAt = expiresAtFrom(now, record.ttlSeconds);
  }

  private remove(sessionId: string): void {
    const record = this.records.get(sessionId);
    if (!record) return;
    this.records.delete(sessionId);
    const userId = record.session.userId;
    if (userId !== null) {
      const ids = this.byUser.get(userId);
      ids?.delete(sessionId);
      if (ids?.size === 0) this.byUser.delete(userId);
    }
  }
}

function sequenceOf(message: Message): number {
  return parseSequenceMessageId(message.id) as number;
}

/** The index of the first message whose sequence is above `sequence` (binary search; ids ascend). */
function firstIndexAbove(messages: Message[], sequence: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sequenceOf(messages[mid] as Message) > sequence) high = mid;
    else low = mid + 1;
  }
  return low;
}
