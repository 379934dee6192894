import {
  canonicalJson,
  isStateStoreError,
  type Json,
  LIMITS,
  type Message,
  type MessageInput,
  type Session,
  type StateStore,
  transact,
  ValidationError,
} from "@agent-state/core";
import type { UIMessage } from "ai";

const METADATA_KIND = "ai-sdk/ui-message";
const STATE_KEY = "aiSdk";
const MAX_SAVE_ATTEMPTS = 5;

/** What `listChats` returns per chat. */
export interface ChatSummary {
  chatId: string;
  createdAt: number;
  /** The last write (save, stream id change): what "newest first" orders by. */
  updatedAt: number;
  messageCount: number;
  activeStreamId: string | null;
}

export interface SaveChatOptions<M extends UIMessage = UIMessage> {
  chatId: string;
  /** The whole conversation as the UI has it now (as `onFinish` gives it). */
  messages: M[];
  /** Owner of the chat, set when `saveChat` creates it (what `listChats` looks up). */
  userId?: string;
  /** Idle expiry of the chat (sliding with every write; default the store's session ttl). */
  ttlSeconds?: number;
}

/** What `saveChat` did to make the stored chat equal `messages`. */
export interface SaveChatResult {
  /** Stored messages that were already equal and were left alone. */
  kept: number;
  /** Stored messages removed (regenerate, edit): everything after the first difference. */
  removed: number;
  appended: number;
}

/** A chat's messages, oldest first, exactly as they were saved; `[]` for a chat that does not exist. */
export async function loadChat<M extends UIMessage = UIMessage>(
  store: StateStore,
  chatId: string,
): Promise<M[]> {
  return (await readStored(store, chatId)).map((entry) => entry.ui as unknown as M);
}

/**
 * Makes the stored chat equal `messages`, writing only the difference: messages equal to the stored ones
 * are kept, everything after the first difference is removed and the rest appended, in one atomic `append`
 * with `replace` and `expectedLastMessageId` when they fit in one (removed + appended ≤ 98), so a
 * concurrent save in between is detected (and the diff redone) and a failure changes nothing. Covers
 * continuation (only appends), regenerate (the last assistant message replaced) and edits (an earlier
 * message changed: everything after it goes). Creates the chat when it does not exist. A larger difference
 * takes several calls (see `writeDifference`).
 */
export async function saveChat<M extends UIMessage>(
  store: StateStore,
  options: SaveChatOptions<M>,
): Promise<SaveChatResult> {
  const { chatId, messages } = options;
  if (!Array.isArray(messages)) throw new ValidationError("messages", "must be an array of UI messages");
  const inputs = messages.map(toInput);
  for (let attempt = 1; ; attempt++) {
    const stored = await readStored(store, chatId, { create: options });
    let kept = 0;
    while (kept < stored.length && kept < inputs.length && stored[kept]!.json === inputs[kept]!.content)
      kept++;
    const removed = stored.length - kept;
    const rest = inputs.slice(kept);
    try {
      await writeDifference(store, chatId, stored, kept, rest);
      return { kept, removed, appended: rest.length };
    } catch (error) {
      if (!isStateStoreError(error, "VERSION_CONFLICT") || attempt >= MAX_SAVE_ATTEMPTS) throw error;
      // Another save changed the chat between our read and our append: diff again.
    }
  }
}

/**
 * Replaces `stored` after its first `kept` messages with `rest`. The removal goes with the first appended
 * messages in one atomic `append` with `replace`, conditional (`expectedLastMessageId`) on the newest message
 * it removes: when removed + appended ≤ `LIMITS.maxMessagesPerAppend` (98) that is the whole write. Past it,
 * only what does not fit is done in separate calls, each atomic on its own: the newest of the removals before
 * (`truncate`, ≤ 99 per call), the remaining appends after (≤ 98 per call, each conditional on the one
 * before). Only removals: `truncate`, one call for up to 99.
 */
async function writeDifference(
  store: StateStore,
  chatId: string,
  stored: StoredEntry[],
  kept: number,
  rest: MessageInput[],
): Promise<void> {
  const max = LIMITS.maxMessagesPerAppend;
  const removing = stored.length - kept;
  // How many removals the first append takes: all of them when there is room, else at least one, so the
  // chat goes from (a shortened) old to (the start of) the new in one write.
  const fused = rest.length === 0 ? 0 : Math.min(removing, Math.max(1, max - rest.length));
  for (let left = removing - fused; left > 0; ) {
    const count = Math.min(left, LIMITS.maxMessagesPerTruncate);
    await store.sessions.truncate(chatId, { removeLast: count });
    left -= count;
  }
  let last = stored[kept + fused - 1]?.message.id ?? null;
  for (let i = 0; i < rest.length; ) {
    const batch = rest.slice(i, i + max - (i === 0 ? fused : 0));
    const appended = await store.sessions.append(chatId, batch, {
      expectedLastMessageId: last,
      ...(i === 0 && fused > 0 ? { replace: { removeLast: fused } } : {}),
    });
    last = appended[appended.length - 1]!.id;
    i += batch.length;
  }
}

/** The id of the chat's stream in progress (for resumable streams), or null. */
export async function getActiveStreamId(store: StateStore, chatId: string): Promise<string | null> {
  const session = await store.sessions.get(chatId);
  return session ? chatState(session).activeStreamId : null;
}

/** Sets (or with null clears) the chat's active stream id; creates the chat when it does not exist. */
export async function setActiveStreamId(
  store: StateStore,
  chatId: string,
  streamId: string | null,
  options: { userId?: string; ttlSeconds?: number } = {},
): Promise<void> {
  await ensureChat(store, chatId, options);
  await transact(store, chatId, (session) => ({
    state: { ...session.state, [STATE_KEY]: { ...chatState(session), activeStreamId: streamId } },
  }));
}

/**
 * The user's chats, most recently written first. Reads every live session of the user (`listByUser`, all
 * pages) and keeps those `saveChat` or `setActiveStreamId` made.
 */
export async function listChats(
  store: StateStore,
  userId: string,
  options: { limit?: number } = {},
): Promise<ChatSummary[]> {
  const chats: ChatSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.sessions.listByUser(userId, {
      limit: LIMITS.maxPageSize,
      ...(cursor ? { cursor } : {}),
    });
    for (const session of page.items) {
      if (!(STATE_KEY in session.state)) continue;
      chats.push({
        chatId: session.sessionId,
        createdAt: session.createdAt,
        updatedAt: session.lastActiveAt,
        messageCount: session.messageCount,
        activeStreamId: chatState(session).activeStreamId,
      });
    }
    cursor = page.cursor ?? undefined;
  } while (cursor);
  chats.sort((a, b) => b.updatedAt - a.updatedAt || (a.chatId < b.chatId ? -1 : 1));
  return options.limit === undefined ? chats : chats.slice(0, options.limit);
}

/** Removes the chat and all its messages; false when there was none. */
export async function deleteChat(store: StateStore, chatId: string): Promise<boolean> {
  return store.sessions.delete(chatId);
}

interface StoredEntry {
  message: Message;
  /** The UI message's canonical JSON, as stored (what the diff compares). */
  json: string;
  ui: Json;
}

async function readStored(
  store: StateStore,
  chatId: string,
  options: { create?: { userId?: string; ttlSeconds?: number } } = {},
): Promise<StoredEntry[]> {
  if (options.create) await ensureChat(store, chatId, options.create);
  const entries: StoredEntry[] = [];
  let cursor: string | undefined;
  try {
    do {
      const page = await store.sessions.messages(chatId, {
        limit: LIMITS.maxPageSize,
        ...(cursor ? { cursor } : {}),
      });
      for (const message of page.items) {
        if (message.metadata?.kind !== METADATA_KIND) {
          throw new ValidationError(
            "chatId",
            `message ${message.id} of ${chatId} was not written by saveChat`,
          );
        }
        entries.push({ message, json: message.content, ui: JSON.parse(message.content) as Json });
      }
      cursor = page.cursor ?? undefined;
    } while (cursor);
  } catch (error) {
    if (isStateStoreError(error, "NOT_FOUND") && !options.create) return [];
    throw error;
  }
  return entries;
}

async function ensureChat(store: StateStore, chatId: string, init: { userId?: string; ttlSeconds?: number }) {
  if (await store.sessions.get(chatId)) return;
  try {
    await store.sessions.create({
      sessionId: chatId,
      ...(init.userId !== undefined ? { userId: init.userId } : {}),
      ...(init.ttlSeconds !== undefined ? { ttlSeconds: init.ttlSeconds } : {}),
      state: { [STATE_KEY]: { activeStreamId: null } },
    });
  } catch (error) {
    if (!isStateStoreError(error, "ALREADY_EXISTS")) throw error;
  }
}

function chatState(session: Session): { activeStreamId: string | null } {
  const raw = session.state[STATE_KEY] as { activeStreamId?: string | null } | undefined;
  return { activeStreamId: raw?.activeStreamId ?? null };
}

function toInput(message: UIMessage, index: number): MessageInput {
  if (!message || typeof message !== "object" || typeof message.id !== "string") {
    throw new ValidationError(`messages[${index}]`, "must be a UI message with an id");
  }
  const role = message.role;
  if (role !== "user" && role !== "assistant" && role !== "system") {
    throw new ValidationError(`messages[${index}].role`, "must be user, assistant or system");
  }
  // Canonical JSON: the same message always gives the same content, so the diff is a string comparison.
  return {
    role,
    content: canonicalJson(JSON.parse(JSON.stringify(message)) as Json),
    metadata: { kind: METADATA_KIND, uiMessageId: message.id },
  };
}
