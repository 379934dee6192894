import type { Message, MessageInput } from "@agent-state/core";
import type { StoreContext } from "./context.js";
import { decodeJson, encodeJson } from "./json-codec.js";
import {
  attributesBytes,
  type ChunkItem,
  COMPRESS_THRESHOLD_BYTES,
  chooseInline,
  layoutPayload,
  packPayload,
  readPayloads,
  type ValueAttributes,
} from "./large-values.js";
import { MESSAGE_SK_PREFIX, messageChunkBase } from "./schema.js";
import type { MessageItem } from "./session-items.js";
import { toMessage } from "./session-items.js";

/**
 * A message's stored body: small messages keep `content` and `metadata` as text attributes (as before);
 * larger ones (≥ 4 KB) store `[content, metadata JSON text]` as one payload, compressed, inline or in chunk
 * items of the session's partition (`c#<writeId>…`, below every message, so no message Query sees them).
 * A message between 1 KB and 4 KB is stored compressed too when that makes its item take fewer write units
 * (a 1,000-character message is just over 1 KB with its keys: 2 WCU, 4 in an append's transaction).
 */
export interface MessageBody {
  /** Attributes of the message item other than its keys, role, timestamp and ttl. */
  attributes: Pick<MessageItem, "content" | "metadata"> & ValueAttributes;
  chunks: ChunkItem[];
}

/** DynamoDB bills a write per started KB of the item. */
const WRITE_UNIT_BYTES = 1024;
/** The attribute names of a packed inline body ("v", "vc" and its value "br"). */
const PACKED_NAMES_BYTES = 5;

/**
 * The bodies of one append: packed where large, chunked where a message alone would pass the item limit
 * or the messages together would pass the transaction's 4 MB (the largest go to chunks first).
 */
export async function prepareBodies(
  context: StoreContext,
  pk: string,
  inputs: MessageInput[],
  ttl: number,
): Promise<MessageBody[]> {
  // What a message item holds besides its body: keys (an sk of "m#" + a 26-character id), role, timestamp, ttl.
  const itemOverhead = attributesBytes({
    pk,
    sk: `m#${"0".repeat(26)}`,
    role: "assistant",
    timestamp: 0,
    ttl: 0,
  });
  const texts = inputs.map((m) => ({
    content: m.content,
    metadata: m.metadata === undefined ? undefined : encodeJson(m.metadata),
  }));
  const packed = await Promise.all(
    texts.map(async (text) => {
      const plain = {
        content: text.content,
        ...(text.metadata !== undefined ? { metadata: text.metadata } : {}),
      };
      const plainBytes = attributesBytes(plain);
      if (plainBytes + itemOverhead <= WRITE_UNIT_BYTES) return { plain, payload: null };
      const bytes = Buffer.from(JSON.stringify([text.content, text.metadata ?? null]), "utf8");
      if (plainBytes < COMPRESS_THRESHOLD_BYTES) {
        const payload = await packPayload(bytes, { always: true });
        const units = (size: number) => Math.ceil((size + itemOverhead) / WRITE_UNIT_BYTES);
        return payload.codec === "br" &&
          units(payload.data.byteLength + PACKED_NAMES_BYTES) < units(plainBytes)
          ? { plain, payload }
          : { plain, payload: null };
      }
      return { plain, payload: await packPayload(bytes) };
    }),
  );
  const sizes = packed.map((p) =>
    p.payload === null ? attributesBytes(p.plain) : p.payload.data.byteLength,
  );
  const inline = chooseInline(sizes);
  return packed.map((p, i): MessageBody => {
    if (p.payload === null) return { attributes: p.plain, chunks: [] };
    const isInline = inline[i] ?? false;
    return layoutPayload(p.payload, {
      inline: isInline,
      pk,
      chunkBase: messageChunkBase,
      writeId: isInline ? "" : context.ids.next(),
      ttl,
    });
  });
}

/** Messages of these items, in order; a message whose chunks are gone (truncated meanwhile) is left out. */
export async function decodeMessages(
  context: StoreContext,
  items: MessageItem[],
  operation: string,
): Promise<Message[]> {
  const packed = items.filter((item) => item.v !== undefined || item.vid !== undefined);
  if (packed.length === 0) return items.map(toMessage);
  const payloads = await readPayloads(
    context,
    context.tables.sessions,
    packed.map((item) => ({
      pk: item.pk,
      base: item.vid === undefined ? null : messageChunkBase(item.vid),
      attributes: item,
    })),
    operation,
  );
  const bodies = new Map<MessageItem, Uint8Array | null>(
    packed.map((item, i) => [item, payloads[i] ?? null]),
  );
  const messages: Message[] = [];
  for (const item of items) {
    if (!bodies.has(item)) {
      messages.push(toMessage(item));
      continue;
    }
    const body = bodies.get(item);
    if (body === null || body === undefined) continue;
    const [content, metadata] = JSON.parse(Buffer.from(body).toString("utf8")) as [string, string | null];
    const message: Message = {
      id: item.sk.slice(MESSAGE_SK_PREFIX.length),
      role: item.role,
      content,
      timestamp: item.timestamp,
    };
    if (metadata !== null) message.metadata = decodeJson(metadata);
    messages.push(message);
  }
  return messages;
}
