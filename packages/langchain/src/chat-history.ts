import {
  isStateStoreError,
  type Json,
  LIMITS,
  type Message,
  type MessageInput,
  type MessageRole,
  type StateStore,
  ValidationError,
} from "@agent-state/core";
import { BaseListChatMessageHistory } from "@langchain/core/chat_history";
import {
  type BaseMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
} from "@langchain/core/messages";

export interface AgentStateChatMessageHistoryOptions {
  store: StateStore;
  /** The store session holding the conversation; created on the first write. */
  sessionId: string;
  /** Set on the store session when this history creates it. */
  userId?: string;
  /** Idle expiry of the store session (sliding, default the store's, 1 hour). */
  ttlSeconds?: number;
}

const METADATA_KIND = "langchain/message";

/**
 * A LangChain `BaseListChatMessageHistory` on an agent-state store: each chat message is one message of
 * the store session `sessionId` (its content LangChain's own stored-message JSON), so a conversation has no
 * size cap beyond the store's per-message one.
 */
export class AgentStateChatMessageHistory extends BaseListChatMessageHistory {
  lc_namespace = ["agent_state", "langchain", "chat_history"];
  private readonly store: StateStore;
  private readonly sessionId: string;
  private readonly userId: string | undefined;
  private readonly ttlSeconds: number | undefined;

  constructor(options: AgentStateChatMessageHistoryOptions) {
    super();
    this.store = options.store;
    this.sessionId = options.sessionId;
    this.userId = options.userId;
    this.ttlSeconds = options.ttlSeconds;
  }

  /** Every message, oldest first; none for a missing or expired session. */
  async getMessages(): Promise<BaseMessage[]> {
    const stored: StoredMessage[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await this.store.sessions.messages(this.sessionId, {
          limit: LIMITS.maxPageSize,
          ...(cursor ? { cursor } : {}),
        });
        for (const message of page.items) stored.push(storedOf(message));
        cursor = page.cursor ?? undefined;
      } while (cursor);
    } catch (error) {
      if (isStateStoreError(error, "NOT_FOUND")) return [];
      throw error;
    }
    return mapStoredMessagesToChatMessages(stored);
  }

  async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  /**
   * Appends the messages: up to `LIMITS.maxMessagesPerAppend` (98) in one atomic append; a longer list goes
   * in consecutive appends of 98, each atomic on its own.
   */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    const inputs = mapChatMessagesToStoredMessages(messages).map(inputOf);
    for (let i = 0; i < inputs.length; i += LIMITS.maxMessagesPerAppend) {
      await this.append(inputs.slice(i, i + LIMITS.maxMessagesPerAppend));
    }
  }

  /** Removes the store session and every message. */
  override async clear(): Promise<void> {
    await this.store.sessions.delete(this.sessionId);
  }

  private async append(inputs: MessageInput[]): Promise<void> {
    try {
      await this.store.sessions.append(this.sessionId, inputs);
    } catch (error) {
      if (!isStateStoreError(error, "NOT_FOUND")) throw error;
      try {
        await this.store.sessions.create({
          sessionId: this.sessionId,
          ...(this.userId !== undefined ? { userId: this.userId } : {}),
          ...(this.ttlSeconds !== undefined ? { ttlSeconds: this.ttlSeconds } : {}),
        });
      } catch (createError) {
        if (!isStateStoreError(createError, "ALREADY_EXISTS")) throw createError;
      }
      await this.store.sessions.append(this.sessionId, inputs);
    }
  }
}

const ROLES: Record<string, MessageRole> = {
  human: "user",
  ai: "assistant",
  system: "system",
  developer: "system",
  tool: "tool",
  function: "tool",
};

function inputOf(stored: StoredMessage): MessageInput {
  return {
    role: ROLES[stored.type] ?? "assistant",
    content: JSON.stringify(stored),
    metadata: { kind: METADATA_KIND, type: stored.type as Json },
  };
}

function storedOf(message: Message): StoredMessage {
  if (message.metadata?.kind !== METADATA_KIND) {
    throw new ValidationError("message", `${message.id} was not written by AgentStateChatMessageHistory`);
  }
  return JSON.parse(message.content) as StoredMessage;
}
