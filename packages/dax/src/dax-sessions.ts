import {
  type AppendOptions,
  type Message,
  type MessageInput,
  type Page,
  parseGetOptions,
  type Session,
  type SessionChanges,
  type SessionInit,
  type SessionStore,
  type TruncateOptions,
  validateSessionInit,
} from "@agent-state/core";
import { type ReadPath, scopes } from "./read-path.js";

type SessionWithRecent = Session & { recentMessages?: Message[] };

/**
 * Sessions with hot reads through the L1 and DAX. Writes go through the view (through DAX when its client
 * can write, conditions checked by DynamoDB); every read of a session this process wrote within the DAX TTL
 * window goes to DynamoDB directly (read-your-writes: DAX's query cache keeps old pages).
 */
export class DaxSessions implements SessionStore {
  constructor(
    private readonly direct: SessionStore,
    private readonly viaDax: SessionStore,
    private readonly path: ReadPath,
  ) {}

  /** Creates the session, through DAX when it can write (see `SessionStore.create`). */
  async create(init?: SessionInit): Promise<Session> {
    // Checked (and copied) first: reading the caller's object here must not run its getters unguarded.
    const valid = validateSessionInit(init);
    const known = valid.sessionId === undefined ? [] : [scopes.session(valid.sessionId)];
    return this.path.write(
      [...known, scopes.userListings],
      () => this.viaDax.create(valid),
      (session) => [scopes.session(session.sessionId)],
    );
  }

  /**
   * The live session, from the L1, DAX or DynamoDB (see `SessionStore.get`). Another process's writes show
   * after at most the L1 TTL plus the DAX TTL; this process's own writes show at once.
   */
  async get(sessionId: string, opts?: { recentMessages?: number }): Promise<SessionWithRecent | null> {
    const recentMessages = parseGetOptions(opts);
    const checked = recentMessages === undefined ? undefined : { recentMessages };
    return this.path.read({
      scopes: [scopes.session(sessionId)],
      l1Key: JSON.stringify(["session", sessionId, recentMessages ?? null]),
      viaDax: () => this.viaDax.get(sessionId, checked),
      direct: () => this.direct.get(sessionId, checked),
      expiresAtOf: (session) => session?.expiresAt ?? null,
    });
  }

  /** Applies the changes through DAX when it can write, the version checked by DynamoDB (see `SessionStore.update`). */
  update(sessionId: string, changes: SessionChanges, opts?: { expectedVersion?: number }): Promise<Session> {
    return this.path.write([scopes.session(sessionId), scopes.userListings], () =>
      this.viaDax.update(sessionId, changes, opts),
    );
  }

  /**
   * Appends, through DAX when it can write (see `SessionStore.append`); `expectedLastMessageId` and the
   * idempotency key are checked by DynamoDB in the same transaction. After an UNAVAILABLE (the outcome
   * unknown) an append with an `idempotencyKey` can simply be called again: it is applied at most once.
   */
  append(
    sessionId: string,
    messages: MessageInput | MessageInput[],
    opts?: AppendOptions,
  ): Promise<Message[]> {
    return this.path.write([scopes.session(sessionId), scopes.userListings], () =>
      this.viaDax.append(sessionId, messages, opts),
    );
  }

  /** Removes the newest messages, through DAX when it can write (see `SessionStore.truncate`). */
  truncate(sessionId: string, opts: TruncateOptions): Promise<Message[]> {
    return this.path.write([scopes.session(sessionId), scopes.userListings], () =>
      this.viaDax.truncate(sessionId, opts),
    );
  }

  /** A page of messages through DAX's query cache, or DynamoDB after our own writes (see `SessionStore.messages`). */
  messages(
    sessionId: string,
    opts?: { limit?: number; cursor?: string; order?: "asc" | "desc" },
  ): Promise<Page<Message>> {
    return this.path.read({
      scopes: [scopes.session(sessionId)],
      l1Key: null,
      viaDax: () => this.viaDax.messages(sessionId, opts),
      direct: () => this.direct.messages(sessionId, opts),
      expiresAtOf: () => null,
    });
  }

  /** Deletes, through DAX when it can write (see `SessionStore.delete`). */
  delete(sessionId: string): Promise<boolean> {
    return this.path.write([scopes.session(sessionId), scopes.userListings], () =>
      this.viaDax.delete(sessionId),
    );
  }

  /** A page of the user's sessions through DAX's query cache (see `SessionStore.listByUser`). */
  listByUser(userId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<Session>> {
    return this.path.read({
      scopes: [scopes.userListings],
      l1Key: null,
      viaDax: () => this.viaDax.listByUser(userId, opts),
      direct: () => this.direct.listByUser(userId, opts),
      expiresAtOf: () => null,
    });
  }
}
