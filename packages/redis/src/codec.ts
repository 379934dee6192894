import {
  type Json,
  type Message,
  type MessageInput,
  type Preferences,
  type Session,
  sequenceMessageIdOfDigits,
} from "@agent-state/core";

/**
 * A hash reply as a map: flat [field, value…] (RESP2, ioredis' default "legacy" mapping) or an object
 * (a caller's client with `replyMapping: "resp3"`).
 */
export function fieldsOf(reply: unknown): Map<string, string> {
  if (reply !== null && typeof reply === "object" && !Array.isArray(reply)) {
    return new Map(Object.entries(reply).map(([field, value]) => [field, String(value)]));
  }
  const fields = new Map<string, string>();
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
  return fields;
}

function numberField(fields: Map<string, string>, name: string): number {
  return Number(fields.get(name) ?? Number.NaN);
}

/** The session in a meta hash, or null when there is none or it has expired by `now`. */
export function sessionFromFields(fields: Map<string, string>, now: number): Session | null {
  const expiresAt = numberField(fields, "expires");
  const sessionId = fields.get("id");
  if (sessionId === undefined || !(now < expiresAt)) return null;
  return {
    sessionId,
    userId: fields.get("user") || null,
    agentId: fields.get("agent") || null,
    state: JSON.parse(fields.get("state") ?? "{}") as Record<string, Json>,
    version: numberField(fields, "version"),
    messageCount: numberField(fields, "count"),
    lastToolCall: fields.get("tool") || null,
    lastActiveRegion: null,
    createdAt: numberField(fields, "created"),
    lastActiveAt: numberField(fields, "active"),
    expiresAt,
  };
}

/**
 * The meta-hash fields a `Session` is made of, in the order `sessionFromValues` reads them: what a read asks
 * for with HMGET (fewer strings to send and decode than HGETALL's every field and its name).
 */
export const SESSION_FIELDS = [
  "id",
  "user",
  "agent",
  "state",
  "version",
  "count",
  "tool",
  "created",
  "active",
  "expires",
] as const;

/**
 * The session in an HMGET reply for SESSION_FIELDS (null for a missing field), or null when there is none
 * or it has expired by `now`.
 */
export function sessionFromValues(values: unknown, now: number): Session | null {
  if (!Array.isArray(values)) return null;
  const sessionId = values[0];
  const expiresAt = Number(values[9] ?? Number.NaN);
  if (typeof sessionId !== "string" || !(now < expiresAt)) return null;
  return {
    sessionId,
    userId: values[1] || null,
    agentId: values[2] || null,
    state: JSON.parse(values[3] ?? "{}") as Record<string, Json>,
    version: Number(values[4] ?? Number.NaN),
    messageCount: Number(values[5] ?? Number.NaN),
    lastToolCall: values[6] || null,
    lastActiveRegion: null,
    createdAt: Number(values[7] ?? Number.NaN),
    lastActiveAt: Number(values[8] ?? Number.NaN),
    expiresAt,
  };
}

/** What a stream entry's `m` field holds: the message without its id (the id is the entry's sequence). */
export function encodeMessage(input: MessageInput, now: number): string {
  const stored: Omit<Message, "id"> = {
    role: input.role,
    content: input.content,
    timestamp: input.timestamp ?? now,
  };
  if (input.metadata !== undefined) stored.metadata = input.metadata;
  return JSON.stringify(stored);
}

/** The message for one stream entry `[id "0-<n>", ["m", json]]`, with its sequence. */
export function messageFromEntry(entry: unknown): { sequence: number; message: Message } {
  const [entryId, values] = entry as [string, string[]];
  const digits = sequenceDigits(entryId);
  return { sequence: Number(digits), message: messageFrom(digits, values) };
}

/** Messages from flat {entryId, messageJson, …} pairs, newest first, as oldest first. */
export function messagesFromFlatNewestFirst(flat: unknown[]): Message[] {
  const messages: Message[] = [];
  for (let i = flat.length - 2; i >= 0; i -= 2) {
    messages.push(messageFromJson(sequenceDigits(flat[i]), String(flat[i + 1])));
  }
  return messages;
}

/** Stream entries `[id "0-<n>", ["m", json]]`, newest first (an XREVRANGE reply), as messages oldest first. */
export function messagesFromEntriesNewestFirst(entries: unknown[]): Message[] {
  const messages: Message[] = new Array(entries.length);
  for (let i = 0, last = entries.length - 1; i <= last; i++) messages[last - i] = messageOfEntry(entries[i]);
  return messages;
}

/** The message for one stream entry (a hot path: one literal of a fixed shape, no spread). */
export function messageOfEntry(entry: unknown): Message {
  const [entryId, values] = entry as [string, string[]];
  return messageFrom(sequenceDigits(entryId), values);
}

/** The sequence in a stream entry id `0-<n>`, as its digits. */
function sequenceDigits(entryId: unknown): string {
  return String(entryId).slice(2);
}

function messageFrom(digits: string, values: string[]): Message {
  // The store writes `m` as an entry's one field.
  const json = values[0] === "m" ? values[1] : values[values.indexOf("m") + 1];
  return messageFromJson(digits, json ?? "{}");
}

function messageFromJson(digits: string, json: string): Message {
  // The fields encodeMessage stores, in its order; `metadata` only when it was given.
  const stored = JSON.parse(json) as Omit<Message, "id">;
  const message: Message = {
    id: sequenceMessageIdOfDigits(digits),
    role: stored.role,
    content: stored.content,
    timestamp: stored.timestamp,
  };
  if (stored.metadata !== undefined) message.metadata = stored.metadata;
  return message;
}

/** The preferences in a record hash, or null when there is none or it has expired by `now`. */
export function preferencesFromFields(
  userId: string,
  agentId: string,
  fields: Map<string, string>,
  now: number,
): Preferences | null {
  const expiresAt = numberField(fields, "_expires");
  if (!(now < expiresAt)) return null;
  // fromEntries defines own properties, so a preference named "__proto__" stays a plain key.
  const values: Record<string, Json> = Object.fromEntries(
    [...fields]
      .filter(([field]) => field.startsWith("v:"))
      .map(([field, value]) => [field.slice(2), JSON.parse(value)]),
  );
  return {
    userId,
    agentId,
    values,
    version: numberField(fields, "_version"),
    updatedAt: numberField(fields, "_updated"),
    expiresAt,
  };
}
