import { promisify } from "node:util";
import { brotliCompress, brotliDecompress, constants } from "node:zlib";
import { UnavailableError } from "@agent-state/core";
import { batchGetAll, batchWriteAll } from "./batch.js";
import type { StoreContext } from "./context.js";

// Values (record values, large message payloads) stored as bytes: brotli-compressed above a threshold, kept
// inline in their head item when small enough, else split into chunk items written BEFORE the head. The
// head is the commit point: it names the chunks by a write id nobody else uses, so a reader never sees a
// partial value, and chunks that no head names are invisible (removed by the write that replaced their head,
// by the writer whose commit failed, or by TTL).

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/** Values at least this large are compressed (kept compressed only when that makes them smaller). */
export const COMPRESS_THRESHOLD_BYTES = 4 * 1024;
/** The largest payload kept inline in a head item (DynamoDB items hold ≤ 400 KB with keys and attributes). */
export const INLINE_MAX_BYTES = 350 * 1024;
/** Payload bytes per chunk item (≤ 384 KB + keys of ≤ ~1.1 KB stays under the 400 KB item limit). */
export const CHUNK_BYTES = 384 * 1024;
/** What the heads of one TransactWriteItems may hold inline (DynamoDB caps a transaction at 4 MB). */
export const TRANSACTION_INLINE_BUDGET_BYTES = 3 * 1024 * 1024;

/** A value's stored form: `codec` "br" when brotli-compressed. */
export interface Payload {
  codec: "raw" | "br";
  data: Uint8Array;
}

/** The attributes a head item carries for its value: inline bytes, or the chunk write id and count. */
export interface ValueAttributes {
  /** Inline payload. */
  v?: Uint8Array;
  /** "br" when the payload (inline or chunked) is brotli-compressed. */
  vc?: "br";
  /** Write id of the chunks holding the payload. */
  vid?: string;
  /** Number of chunks. */
  vn?: number;
}

export interface ChunkItem {
  pk: string;
  sk: string;
  d: Uint8Array;
  ttl?: number;
}

/** The stored form of a value: compressed when at least `COMPRESS_THRESHOLD_BYTES` (or `always`) and smaller so. */
export async function packPayload(bytes: Uint8Array, opts: { always?: boolean } = {}): Promise<Payload> {
  if (bytes.byteLength < COMPRESS_THRESHOLD_BYTES && opts.always !== true)
    return { codec: "raw", data: bytes };
  const packed = await compress(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 4,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
    },
  });
  return packed.byteLength < bytes.byteLength
    ? { codec: "br", data: new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength) }
    : { codec: "raw", data: bytes };
}

/** The head attributes and chunk items for a payload; `inline` false forces chunks. */
export function layoutPayload(
  payload: Payload,
  options: {
    inline: boolean;
    pk: string;
    chunkBase: (writeId: string) => string;
    writeId: string;
    ttl?: number;
  },
): { attributes: ValueAttributes; chunks: ChunkItem[] } {
  const codec: Pick<ValueAttributes, "vc"> = payload.codec === "br" ? { vc: "br" } : {};
  if (options.inline) return { attributes: { v: payload.data, ...codec }, chunks: [] };
  const chunks: ChunkItem[] = [];
  const base = options.chunkBase(options.writeId);
  for (let i = 0, offset = 0; offset < payload.data.byteLength || i === 0; i++, offset += CHUNK_BYTES) {
    chunks.push({
      pk: options.pk,
      sk: chunkSk(base, i),
      d: payload.data.subarray(offset, offset + CHUNK_BYTES),
      ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
    });
  }
  return { attributes: { vid: options.writeId, vn: chunks.length, ...codec }, chunks };
}

export function chunkSk(base: string, index: number): string {
  return `${base}\u0001${String(index).padStart(3, "0")}`;
}

/** Writes chunk items (BatchWriteItem, retried) before the head that will name them. */
export async function writeChunks(
  context: StoreContext,
  table: string,
  chunks: ChunkItem[],
  operation: string,
): Promise<void> {
  if (chunks.length === 0) return;
  // ≤ 25 chunks of 384 KB per request stays under BatchWriteItem's 16 MB.
  await batchWriteAll(
    context.writer,
    table,
    chunks.map((Item) => ({ PutRequest: { Item } })),
    operation,
  );
}

/** Deletes the chunks of one write id (after the head naming them was replaced or never written). */
export async function deleteChunks(
  context: StoreContext,
  table: string,
  pk: string,
  base: string,
  count: number,
  operation: string,
): Promise<void> {
  const requests = Array.from({ length: count }, (_, i) => ({
    DeleteRequest: { Key: { pk, sk: chunkSk(base, i) } },
  }));
  await batchWriteAll(context.writer, table, requests, operation);
}

/** Best effort: a failure leaves the chunks to their TTL or to `clear`. */
export async function deleteChunksQuietly(
  context: StoreContext,
  table: string,
  pk: string,
  base: string,
  count: number,
): Promise<void> {
  await deleteChunks(context, table, pk, base, count, "chunk cleanup").catch(() => undefined);
}

/** A head whose payload is to be read: its chunk base (when chunked) and value attributes. */
export interface HeadRef {
  pk: string;
  base: string | null;
  attributes: ValueAttributes;
}

/**
 * The payload bytes of each head, in order: inline ones directly, chunked ones by BatchGetItem through the
 * reader (chunks never change once written, so a cached copy is as good as a fresh one). A chunk missing on
 * the reader is re-read strongly on the store's own client; still missing means its head was replaced since
 * it was read: that head's entry is null, for the caller to read again.
 */
export async function readPayloads(
  context: StoreContext,
  table: string,
  heads: HeadRef[],
  operation: string,
): Promise<Array<Uint8Array | null>> {
  const keys: Array<{ pk: string; sk: string }> = [];
  for (const head of heads) {
    const { vid, vn } = head.attributes;
    if (vid === undefined || head.base === null) continue;
    for (let i = 0; i < (vn ?? 0); i++) keys.push({ pk: head.pk, sk: chunkSk(head.base, i) });
  }
  const found = new Map<string, Uint8Array>();
  const remember = (items: Array<Record<string, unknown>>) => {
    for (const item of items) found.set(`${String(item.pk)}\u0000${String(item.sk)}`, item.d as Uint8Array);
  };
  if (keys.length > 0) {
    remember(await batchGetAll(context.reader, table, keys, context.consistentReads, operation));
    const missing = keys.filter((k) => !found.has(`${k.pk}\u0000${k.sk}`));
    if (missing.length > 0 && !context.consistentReads) {
      remember(await batchGetAll(context.main, table, missing, true, operation));
    }
  }
  return Promise.all(
    heads.map(async (head) => {
      const { v, vc, vid, vn } = head.attributes;
      let data: Uint8Array;
      if (vid === undefined || head.base === null) data = v ?? new Uint8Array(0);
      else {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < (vn ?? 0); i++) {
          const part = found.get(`${head.pk}\u0000${chunkSk(head.base, i)}`);
          if (part === undefined) return null;
          parts.push(part);
        }
        data = Buffer.concat(parts);
      }
      if (vc !== "br") return data;
      try {
        const plain = await decompress(data);
        return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
      } catch (error) {
        throw new UnavailableError(`${operation}: a stored value could not be decompressed`, {
          cause: error,
        });
      }
    }),
  );
}

/** Bytes an item's attributes take (DynamoDB counts names plus values); binary counted by length. */
export function attributesBytes(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name, "utf8");
    if (value instanceof Uint8Array) size += value.byteLength;
    else if (typeof value === "string") size += Buffer.byteLength(value, "utf8");
    else if (typeof value === "number") size += 21;
    else size += 1;
  }
  return size;
}

/**
 * Which payloads stay inline in one TransactWriteItems: each ≤ `INLINE_MAX_BYTES`, and together within the
 * transaction budget (the largest go to chunks first), so a batch of large values keeps its heads small.
 */
export function chooseInline(sizes: number[], budget = TRANSACTION_INLINE_BUDGET_BYTES): boolean[] {
  const inline = sizes.map((size) => size <= INLINE_MAX_BYTES);
  let total = sizes.reduce((sum, size, i) => sum + (inline[i] ? size : 0), 0);
  const bySize = sizes.map((size, i) => ({ size, i })).sort((a, b) => b.size - a.size);
  for (const { size, i } of bySize) {
    if (total <= budget) break;
    if (inline[i]) {
      inline[i] = false;
      total -= size;
    }
  }
  return inline;
}
