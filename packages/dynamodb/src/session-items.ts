import { isExpired, type Json, type Message, type MessageRole, type Session } from "@agent-state/core";
import { decodeJson } from "./json-codec.js";
import type { ValueAttributes } from "./large-values.js";
import { MESSAGE_SK_PREFIX } from "./schema.js";

/**
 * A session's meta item as stored: the state as JSON text (`state`, see json-codec.ts) under 4 KB, else packed
 * (`v` inline, or chunks `vid`/`vn`; `vc` "br" when compressed; see packed-json.ts).
 */
export interface SessionItem extends ValueAttributes {
  pk: string;
  sk: string;
  sessionId: string;
  userId?: string;
  agentId?: string;
  state?: string;
  version: number;
  messageCount: number;
  lastToolCall?: string;
  lastActiveRegion?: string;
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
  ttl: number;
  /** The session's own sliding ttl, so update/append can slide expiry inside one update expression. */
  ttlMs: number;
  ttlSeconds: number;
  /** ULID of this incarnation of the session id; its messages have larger ids. */
  incarnation: string;
  /** The largest message id appended (the incarnation when there is none): new ids must sort after it. */
  lastMessageId: string;
  /** The id of the session's last message (the incarnation when it holds none); absent on older items. */
  tailMessageId?: string;
  /** The smallest `ttl` among this incarnation's message items (absent before the first append). */
  messagesTtl?: number;
}

export interface MessageItem extends ValueAttributes {
  pk: string;
  sk: string;
  role: MessageRole;
  /** Absent when the body is a payload (`v` or chunks, see message-payload.ts). */
  content?: string;
  timestamp: number;
  metadata?: string;
  ttl: number;
}

/** Attribute names used in expressions (all go through placeholders: several are reserved words). */
export const NAMES = {
  "#pk": "pk",
  "#sk": "sk",
  "#userId": "userId",
  "#state": "state",
  "#version": "version",
  "#messageCount": "messageCount",
  "#lastToolCall": "lastToolCall",
  "#region": "lastActiveRegion",
  "#lastActiveAt": "lastActiveAt",
  "#expiresAt": "expiresAt",
  "#ttl": "ttl",
  "#ttlMs": "ttlMs",
  "#ttlSeconds": "ttlSeconds",
  "#lastMessageId": "lastMessageId",
  "#messagesTtl": "messagesTtl",
  "#tail": "tailMessageId",
  "#incarnation": "incarnation",
} as const;

/** Picks the placeholders an expression uses (DynamoDB rejects unused ones). */
export function namesFor(...placeholders: Array<keyof typeof NAMES>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const placeholder of placeholders) out[placeholder] = NAMES[placeholder];
  return out;
}

export function isLiveItem(item: { expiresAt?: unknown } | null | undefined, now: number): boolean {
  return (
    item !== null &&
    item !== undefined &&
    typeof item.expiresAt === "number" &&
    !isExpired(item.expiresAt, now)
  );
}

/** The session a meta item describes; `state` when known (a packed state is read by session-state.ts). */
export function toSession(item: SessionItem, state?: Record<string, Json>): Session {
  return {
    sessionId: item.sessionId,
    userId: item.userId ?? null,
    agentId: item.agentId ?? null,
    state: state ?? decodeJson(item.state ?? "{}"),
    version: item.version,
    messageCount: item.messageCount,
    lastToolCall: item.lastToolCall ?? null,
    lastActiveRegion: item.lastActiveRegion ?? null,
    createdAt: item.createdAt,
    lastActiveAt: item.lastActiveAt,
    expiresAt: item.expiresAt,
  };
}

/** The id of the session's last message, or null when it holds none. */
export function tailOf(meta: SessionItem): string | null {
  const tail = meta.tailMessageId ?? meta.lastMessageId;
  return tail === meta.incarnation ? null : tail;
}

export function toMessage(item: MessageItem): Message {
  const message: Message = {
    id: item.sk.slice(MESSAGE_SK_PREFIX.length),
    role: item.role,
    content: item.content ?? "",
    timestamp: item.timestamp,
  };
  if (item.metadata !== undefined) message.metadata = decodeJson(item.metadata);
  return message;
}
