import { type Json, type Session, toEpochSeconds, UnavailableError } from "@agent-state/core";
import { strongGet } from "./condition-failure.js";
import type { StoreContext } from "./context.js";
import { decodeJson } from "./json-codec.js";
import { type ChunkPlace, isPacked, PACKED_ATTRIBUTES, type PackedJson, unpackJson } from "./packed-json.js";
import { META_SK, sessionPk, stateChunkBase } from "./schema.js";
import { isLiveItem, type SessionItem, toSession } from "./session-items.js";

/** Reads of a packed state whose chunks keep being replaced under them give up after this many tries. */
const READ_ATTEMPTS = 5;

/**
 * Where a session's state chunks live. They expire like its messages (`messageTtlSeconds` after the write,
 * recorded in the meta item's `messagesTtl` floor), so the message ttl refresh keeps them while the session
 * stays active, and the sweep takes them after it expired.
 */
export function statePlace(context: StoreContext, sessionId: string): ChunkPlace {
  return {
    pk: sessionPk(sessionId),
    chunkBase: stateChunkBase,
    ttl: toEpochSeconds(context.clock()) + context.messageTtlSeconds,
  };
}

/**
 * The session of a meta item, its state decoded (a packed one read from its head or chunks). A chunk gone
 * means the state was replaced since the item was read: the meta item is read again, strongly. Null when
 * the session is gone or expired by then.
 */
export async function sessionOf(
  context: StoreContext,
  item: SessionItem,
  operation: string,
): Promise<Session | null> {
  let current: SessionItem | null = item;
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    if (current === null || !isLiveItem(current, context.clock())) return null;
    if (!isPacked(current as unknown as Record<string, unknown>)) return toSession(current);
    const place = statePlace(context, current.sessionId);
    const json = await unpackJson(
      context,
      context.tables.sessions,
      current as unknown as Record<string, unknown>,
      place,
      operation,
    );
    if (json !== null) return toSession(current, decodeJson<Record<string, Json>>(json));
    current = (await strongGet(
      context,
      context.tables.sessions,
      { pk: current.pk, sk: META_SK },
      operation,
    )) as SessionItem | null;
  }
  throw new UnavailableError(`${operation}: the session state kept changing while it was read`);
}

/** The meta item attributes for a packed state: what to set, and which state attributes to remove. */
export function stateAttributes(packed: PackedJson): { set: Record<string, unknown>; remove: string[] } {
  if (packed.text !== undefined) return { set: { state: packed.text }, remove: [...PACKED_ATTRIBUTES] };
  const set: Record<string, unknown> = { ...packed.attributes };
  return { set, remove: ["state", ...PACKED_ATTRIBUTES.filter((name) => !(name in set))] };
}
