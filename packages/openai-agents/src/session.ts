import { createHash } from "node:crypto";
import {
  type AppendOptions,
  canonicalJson,
  isStateStoreError,
  type Json,
  LIMITS,
  type Message,
  type MessageInput,
  type MessageRole,
  newSessionId,
  type StateStore,
  type Session as StoredSession,
  type TruncateOptions,
  ValidationError,
} from "@agent-state/core";
import {
  type AgentInputItem,
  protocol,
  type SessionHistoryTransaction,
  type SessionHistoryTransactionArgs,
  type SessionHistoryTransactionAwareSession,
} from "@openai/agents-core";
import { decode, encode } from "./codec.js";

export interface AgentStateSessionOptions {
  store: StateStore;
  /** The store session holding the history; absent: a new id, whose session is created on the first write. */
  sessionId?: string;
  /** Set on the store session when this adapter creates it. */
  userId?: string;
  /** Idle expiry of the store session (sliding, default the store's, 1 hour). */
  ttlSeconds?: number;
}

/** What this adapter keeps in the store session's `state`, under the key `openaiAgents`. */
interface AdapterState {
  /** Per message id: how many of its last items `popItem` has removed (only messages holding several). */
  hidden: Record<string, number>;
  /** Applied `applyHistoryTransaction` operation ids → fingerprint of their transaction. */
  transactions: Record<string, string>;
}

const STATE_KEY = "openaiAgents";
const METADATA_KIND = "openai-agents/items";
const MAX_STATE_ATTEMPTS = 20;

/** A stored message and the items in it that are part of the history (popped ones left out). */
interface Slot {
  message: Message;
  items: Json[];
}

/**
 * The OpenAI Agents SDK `Session` on an agent-state store: one store session per agent session, items as
 * messages (one item per message; a call with more items than one append holds packs several into each of
 * its messages, so every `addItems` is one atomic append). See the README for the mapping and its limits.
 */
export class AgentStateSession implements SessionHistoryTransactionAwareSession {
  private readonly store: StateStore;
  private readonly sessionId: string;
  private readonly userId: string | undefined;
  private readonly ttlSeconds: number | undefined;

  constructor(options: AgentStateSessionOptions) {
    this.store = options.store;
    this.sessionId = options.sessionId ?? newSessionId();
    this.userId = options.userId;
    this.ttlSeconds = options.ttlSeconds;
  }

  async getSessionId(): Promise<string> {
    return this.sessionId;
  }

  /** The newest `limit` items (all without a limit), oldest first; none for a missing or expired session. */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && limit <= 0) return [];
    const session = await this.store.sessions.get(this.sessionId);
    if (!session) return [];
    const slots = await this.readSlots(session, limit);
    const items = slots.flatMap((slot) => slot.items);
    return (limit === undefined ? items : items.slice(-limit)).map(toItem);
  }

  /** Appends the items in one atomic append (creating the store session if needed). */
  async addItems(items: AgentInputItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.append(items.map((item) => encode(item)));
  }

  /** Removes and returns the newest item, or undefined when there is none. */
  async popItem(): Promise<AgentInputItem | undefined> {
    for (let attempt = 0; attempt < MAX_STATE_ATTEMPTS; attempt++) {
      const session = await this.store.sessions.get(this.sessionId);
      if (!session) return undefined;
      const { last, before, trailing } = await this.lastSlot(session);
      if (!last) return undefined;
      const item = last.items[last.items.length - 1] as Json;
      if (last.items.length === 1) {
        // The message holds no other live item: remove it (and any fully popped messages after it).
        await this.store.sessions.truncate(
          this.sessionId,
          before ? { afterMessageId: before.id } : { removeLast: trailing + 1 },
        );
        return toItem(item);
      }
      // A packed message: hide its last item, conditional on the session version read.
      const state = adapterState(session);
      state.hidden[last.message.id] = (state.hidden[last.message.id] ?? 0) + 1;
      if (await this.writeState(session, state)) return toItem(item);
    }
    throw new ValidationError("popItem", "the session kept changing; try again");
  }

  /** Removes the store session: every item, and the record of applied transactions. */
  async clearSession(): Promise<void> {
    await this.store.sessions.delete(this.sessionId);
  }

  /**
   * Applies an append or a suffix replacement once per `operationId`: a repeat with the same transaction
   * does nothing, one with another transaction (or a suffix that no longer matches) throws
   * `ValidationError` / `VersionConflictError` and changes nothing. An append is one atomic append; so is a
   * replacement (`append` with `replace`) that removes up to 97 messages, the common case; one that removes
   * more truncates the oldest of them first (see the README's limits).
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    const { operationId, transaction } = checkTransaction(args);
    const fingerprint = fingerprintOf(transaction);
    const session = await this.store.sessions.get(this.sessionId);
    const applied = session ? adapterState(session).transactions[operationId] : undefined;
    if (applied !== undefined) {
      if (applied !== fingerprint) throw transactionReused();
      return;
    }
    const key = `openai-agents:${operationId}`;
    if (transaction.type === "append_items") {
      await this.append(transaction.items, { idempotencyKey: key, fingerprint });
    } else {
      await this.replaceSuffix(
        session,
        transaction.expectedSuffix,
        transaction.replacement,
        key,
        fingerprint,
      );
    }
    await this.recordTransaction(operationId, fingerprint);
  }

  private async replaceSuffix(
    session: StoredSession | null,
    expectedSuffix: Json[],
    replacement: Json[],
    idempotencyKey: string,
    fingerprint: string,
  ): Promise<void> {
    const slots = session ? await this.readSlots(session, undefined) : [];
    const items = slots.flatMap((slot) => slot.items);
    const start = items.length - expectedSuffix.length;
    const actual = start < 0 ? null : items.slice(start);
    if (!actual || canonicalJson(actual) !== canonicalJson(expectedSuffix)) {
      throw new ValidationError("expectedSuffix", "the session's history no longer ends with this suffix");
    }
    // Find the first message holding a suffix item; the items of it that precede the suffix are kept by
    // appending them again with the replacement.
    let seen = 0;
    let cut = slots.length;
    let kept: Json[] = [];
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (seen + slot.items.length > start) {
        cut = i;
        kept = slot.items.slice(0, start - seen);
        break;
      }
      seen += slot.items.length;
    }
    // Every message after the last one kept whole goes (popped-only ones included). Up to 97 of them go in
    // the same atomic append as the replacement (packed into the messages left of the 98), so the history
    // is either the old one or the new one. Only past that are the newest of them truncated first (see the
    // README's limits).
    const removing = slots.length - cut;
    const written = [...kept, ...replacement];
    const fused =
      removing < LIMITS.maxMessagesPerAppend
        ? removing
        : Math.max(1, LIMITS.maxMessagesPerAppend - Math.max(1, written.length));
    for (let left = removing - fused; left > 0; ) {
      const count = Math.min(left, LIMITS.maxMessagesPerTruncate);
      await this.store.sessions.truncate(this.sessionId, { removeLast: count });
      left -= count;
    }
    await this.append(written, {
      idempotencyKey,
      fingerprint,
      // The newest message the append's removal starts from, as read: any other write in between conflicts.
      expectedLastMessageId: slots[cut + fused - 1]?.message.id ?? null,
      ...(fused > 0 ? { replace: { removeLast: fused } } : {}),
      maxMessages: LIMITS.maxMessagesPerAppend - fused,
    });
  }

  /** The session's messages, newest first, a page of 100 at a time (stop iterating to stop reading). */
  private async *newestFirst(): AsyncGenerator<Message> {
    let cursor: string | undefined;
    do {
      const page = await this.store.sessions.messages(this.sessionId, {
        order: "desc",
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      yield* page.items;
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }

  /** The history's messages in order (the newest ones holding at least `limit` items when given). */
  private async readSlots(session: StoredSession, limit: number | undefined): Promise<Slot[]> {
    const hidden = adapterState(session).hidden;
    const order = limit === undefined ? "asc" : "desc";
    const slots: Slot[] = [];
    let count = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.store.sessions.messages(this.sessionId, {
        order,
        limit:
          limit === undefined ? LIMITS.maxPageSize : Math.min(LIMITS.maxPageSize, Math.max(1, limit - count)),
        ...(cursor ? { cursor } : {}),
      });
      for (const message of page.items) {
        const slot = slotOf(message, hidden);
        slots.push(slot);
        count += slot.items.length;
      }
      if (page.cursor === null || (limit !== undefined && count >= limit)) break;
      cursor = page.cursor;
    }
    return order === "desc" ? slots.reverse() : slots;
  }

  /** The newest message with a live item, the message before it, and how many empty ones follow it. */
  private async lastSlot(
    session: StoredSession,
  ): Promise<{ last: Slot | null; before: Message | null; trailing: number }> {
    const hidden = adapterState(session).hidden;
    let last: Slot | null = null;
    let trailing = 0;
    for await (const message of this.newestFirst()) {
      if (last) return { last, before: message, trailing };
      const slot = slotOf(message, hidden);
      if (slot.items.length > 0) last = slot;
      else trailing++;
    }
    return { last, before: null, trailing };
  }

  /**
   * One atomic append of the encoded items: one item per message, or when there are more items than the
   * append has room for (`maxMessages`, default all 98), several per message. An empty list still appends
   * one (empty) message, which carries the transaction's idempotency key. With `replace` the same atomic
   * append first removes those messages.
   */
  private async append(
    items: Json[],
    options: {
      idempotencyKey?: string;
      fingerprint?: string;
      expectedLastMessageId?: string | null;
      replace?: TruncateOptions;
      maxMessages?: number;
    } = {},
  ): Promise<void> {
    const room = options.maxMessages ?? LIMITS.maxMessagesPerAppend;
    const perMessage = Math.max(1, Math.ceil(items.length / room));
    const messages: MessageInput[] = [];
    for (let i = 0; i < items.length || messages.length === 0; i += perMessage) {
      const group = items.slice(i, i + perMessage);
      const metadata: Record<string, Json> = { kind: METADATA_KIND, items: group.length };
      if (options.fingerprint) metadata.transaction = options.fingerprint;
      messages.push({ role: roleOf(group[0]), content: JSON.stringify(group), metadata });
    }
    const appendOptions: AppendOptions = {
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(options.expectedLastMessageId !== undefined
        ? { expectedLastMessageId: options.expectedLastMessageId }
        : {}),
      ...(options.replace ? { replace: options.replace } : {}),
    };
    try {
      await this.store.sessions.append(this.sessionId, messages, appendOptions);
    } catch (error) {
      if (!isStateStoreError(error, "NOT_FOUND")) throw error;
      await this.create();
      await this.store.sessions.append(this.sessionId, messages, appendOptions);
    }
  }

  private async create(): Promise<void> {
    try {
      await this.store.sessions.create({
        sessionId: this.sessionId,
        ...(this.userId !== undefined ? { userId: this.userId } : {}),
        ...(this.ttlSeconds !== undefined ? { ttlSeconds: this.ttlSeconds } : {}),
        state: { [STATE_KEY]: { hidden: {}, transactions: {} } },
      });
    } catch (error) {
      if (!isStateStoreError(error, "ALREADY_EXISTS")) throw error;
    }
  }

  private async recordTransaction(operationId: string, fingerprint: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_STATE_ATTEMPTS; attempt++) {
      const session = await this.store.sessions.get(this.sessionId);
      if (!session) return;
      const state = adapterState(session);
      state.transactions[operationId] = fingerprint;
      if (await this.writeState(session, state)) return;
    }
  }

  /** Writes the adapter's state conditional on the version read; false on a conflict. */
  private async writeState(session: StoredSession, state: AdapterState): Promise<boolean> {
    try {
      await this.store.sessions.update(
        this.sessionId,
        { state: { ...session.state, [STATE_KEY]: state as unknown as Json } },
        { expectedVersion: session.version },
      );
      return true;
    } catch (error) {
      if (isStateStoreError(error, "VERSION_CONFLICT")) return false;
      throw error;
    }
  }
}

function adapterState(session: StoredSession): AdapterState {
  const raw = session.state[STATE_KEY] as Partial<AdapterState> | undefined;
  return { hidden: { ...(raw?.hidden ?? {}) }, transactions: { ...(raw?.transactions ?? {}) } };
}

function slotOf(message: Message, hidden: Record<string, number>): Slot {
  if (message.metadata?.kind !== METADATA_KIND) {
    throw new ValidationError("message", `${message.id} was not written by AgentStateSession`);
  }
  const items = JSON.parse(message.content) as Json[];
  return { message, items: items.slice(0, items.length - (hidden[message.id] ?? 0)) };
}

function toItem(json: Json): AgentInputItem {
  return decode(json) as AgentInputItem;
}

/** The store role of a message: the item's own role when it has one, "tool" for tool outputs. */
function roleOf(item: Json | undefined): MessageRole {
  const record = (item ?? {}) as Record<string, Json>;
  const role = record.role;
  if (role === "user" || role === "assistant" || role === "system") return role;
  return typeof record.type === "string" && record.type.endsWith("_result") ? "tool" : "assistant";
}

type CheckedTransaction =
  | { type: "append_items"; items: Json[] }
  | { type: "replace_suffix"; expectedSuffix: Json[]; replacement: Json[] };

function checkTransaction(args: SessionHistoryTransactionArgs): {
  operationId: string;
  transaction: CheckedTransaction;
} {
  const { operationId, transaction } = (args ?? {}) as Partial<SessionHistoryTransactionArgs>;
  if (typeof operationId !== "string" || operationId.trim() === "") {
    throw new ValidationError("operationId", "must be a non-empty string");
  }
  const t = (transaction ?? {}) as Partial<SessionHistoryTransaction> & Record<string, unknown>;
  const list = (field: string, value: unknown): Json[] => {
    if (!Array.isArray(value)) throw new ValidationError(`transaction.${field}`, "must be an array of items");
    return value.map((item, i) => {
      // The SDK's own rule (MemorySession): every item of a transaction must parse as a model item.
      if (!protocol.ModelItem.safeParse(item).success) {
        throw new ValidationError(`transaction.${field}[${i}]`, "is not a valid model item");
      }
      return encode(item, `transaction.${field}[${i}]`);
    });
  };
  if (t.type === "append_items")
    return { operationId, transaction: { type: t.type, items: list("items", t.items) } };
  if (t.type === "replace_suffix") {
    return {
      operationId,
      transaction: {
        type: t.type,
        expectedSuffix: list("expectedSuffix", t.expectedSuffix),
        replacement: list("replacement", t.replacement),
      },
    };
  }
  throw new ValidationError("transaction.type", "must be append_items or replace_suffix");
}

function fingerprintOf(transaction: CheckedTransaction): string {
  return createHash("sha256")
    .update(canonicalJson(transaction as unknown as Json))
    .digest("base64url");
}

function transactionReused(): ValidationError {
  return new ValidationError("operationId", "was already applied with a different transaction");
}
