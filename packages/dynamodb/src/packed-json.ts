import type { StoreContext } from "./context.js";
import {
  type ChunkItem,
  COMPRESS_THRESHOLD_BYTES,
  chunkSk,
  deleteChunksQuietly,
  layoutPayload,
  packPayload,
  readPayloads,
  type ValueAttributes,
  writeChunks,
} from "./large-values.js";

// Session states, tool-cache values and preference records as their head items hold them: JSON text under
// 4 KB stays a plain string attribute, exactly as before (same requests, same capacity); larger JSON is packed
// with large-values.ts (brotli when it helps), kept inline in the head as bytes when the packed form fits,
// else in chunk items written before the head. The head is the commit point, as for messages and records.

/** Packed payloads up to this size stay inline in a head (room is left for the head's other attributes). */
export const PACKED_INLINE_MAX_BYTES = 300 * 1024;

/** Head attributes a packed value may have set; a write of the other form removes them. */
export const PACKED_ATTRIBUTES = ["v", "vc", "vid", "vn"] as const;

/** Where a head's chunks live: its partition, and the chunk sort-key base for a write id. */
export interface ChunkPlace {
  pk: string;
  chunkBase: (writeId: string) => string;
  /** DynamoDB `ttl` (epoch seconds) of the chunk items. */
  ttl?: number;
}

/** A value ready to be written: plain `text`, or packed attributes plus the chunks to write before the head. */
export type PackedJson =
  | { text: string; attributes?: undefined; chunks: ChunkItem[] }
  | { text?: undefined; attributes: ValueAttributes; chunks: ChunkItem[] };

/** How a head stores `json`; chunks (if any) carry `writeId` in their keys. */
export async function packJson(json: string, place: ChunkPlace, writeId: string): Promise<PackedJson> {
  const bytes = Buffer.from(json, "utf8");
  if (bytes.byteLength < COMPRESS_THRESHOLD_BYTES) return { text: json, chunks: [] };
  const payload = await packPayload(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return layoutPayload(payload, {
    inline: payload.data.byteLength <= PACKED_INLINE_MAX_BYTES,
    pk: place.pk,
    chunkBase: place.chunkBase,
    writeId,
    ...(place.ttl === undefined ? {} : { ttl: place.ttl }),
  });
}

/** The packed attributes of a head item (those present). */
export function packedAttributes(item: Record<string, unknown>): ValueAttributes {
  const attributes: ValueAttributes = {};
  if (item.v !== undefined) attributes.v = item.v as Uint8Array;
  if (item.vc === "br") attributes.vc = "br";
  if (item.vid !== undefined) attributes.vid = String(item.vid);
  if (item.vn !== undefined) attributes.vn = Number(item.vn);
  return attributes;
}

/** True when the head holds a packed value (inline bytes or chunks) rather than text. */
export function isPacked(item: Record<string, unknown>): boolean {
  return item.v !== undefined || item.vid !== undefined;
}

/**
 * The JSON text of a packed head (inline or chunked, decompressed), or null when one of its chunks is gone:
 * the head was replaced since it was read, and the caller reads it again.
 */
export async function unpackJson(
  context: StoreContext,
  table: string,
  item: Record<string, unknown>,
  place: ChunkPlace,
  operation: string,
): Promise<string | null> {
  const attributes = packedAttributes(item);
  const base = attributes.vid === undefined ? null : place.chunkBase(attributes.vid);
  const [bytes] = await readPayloads(context, table, [{ pk: place.pk, base, attributes }], operation);
  return bytes === null || bytes === undefined ? null : Buffer.from(bytes).toString("utf8");
}

/** Writes a packed value's chunks (before its head). */
export function writePackedChunks(
  context: StoreContext,
  table: string,
  packed: PackedJson,
  operation: string,
): Promise<void> {
  return writeChunks(context, table, packed.chunks, operation);
}

/** Removes a value's chunks quietly (after its head was replaced, or when its head was never written). */
export async function dropChunksOf(
  context: StoreContext,
  table: string,
  place: ChunkPlace,
  attributes: { vid?: unknown; vn?: unknown },
): Promise<void> {
  if (attributes.vid === undefined) return;
  await deleteChunksQuietly(
    context,
    table,
    place.pk,
    place.chunkBase(String(attributes.vid)),
    Number(attributes.vn ?? 0),
  );
}

/** The chunk keys of a head (for rewriting their ttl). */
export function chunkKeysOf(
  place: ChunkPlace,
  attributes: { vid?: unknown; vn?: unknown },
): Array<{ pk: string; sk: string }> {
  if (attributes.vid === undefined) return [];
  const base = place.chunkBase(String(attributes.vid));
  return Array.from({ length: Number(attributes.vn ?? 0) }, (_, i) => ({
    pk: place.pk,
    sk: chunkSk(base, i),
  }));
}
