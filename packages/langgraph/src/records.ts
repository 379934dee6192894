import type { Json } from "@agent-state/core";
import type { ChannelVersions } from "@langchain/langgraph-checkpoint";
import { open, seal } from "./envelope.js";

type ChannelVersion = ChannelVersions[string];

// The saver's record values. A checkpoint head holds the checkpoint without its channel values, the
// metadata, the parent id, the values of the channels this put wrote (inline, so that one record write makes
// the whole checkpoint visible at once) and, per channel, where its value is: in this head, in an ancestor's
// head (a carried-over channel: a put writes only what changed), or in a blob record of its own (a value too
// large to go inline, written before the head).

/** Where one channel's value is stored. */
export interface BlobPointer {
  /** The checkpoint whose put wrote the value. */
  writer: string;
  version: ChannelVersion;
  /** The serde type of the value's bytes. */
  type: string;
  /** When the record holding the value expires (epoch ms), or null. */
  expiresAt: number | null;
  /** True: inline in the writer's head; false: a blob record (`threadKeys.blob`). */
  inHead: boolean;
}

export type BlobPointers = Record<string, BlobPointer>;

export interface CheckpointHead {
  id: string;
  parentId: string | undefined;
  checkpointType: string;
  checkpointBytes: Uint8Array;
  metadataType: string;
  metadataBytes: Uint8Array;
  pointers: BlobPointers;
  /** Values stored inline in this head, by channel (the ones this put wrote). */
  inline: Map<string, Uint8Array>;
  /** Epoch ms after which the checkpoint counts as expired (the record itself lives longer), or null. */
  visibleUntil: number | null;
}

type PointerTuple = [string, ChannelVersion, string, number | null, 0 | 1];

export function encodeHead(
  head: Omit<CheckpointHead, "inline"> & { inline: [string, Uint8Array][] },
): Uint8Array {
  const pointers: Record<string, PointerTuple> = {};
  for (const [channel, p] of Object.entries(head.pointers)) {
    pointers[channel] = [p.writer, p.version, p.type, p.expiresAt, p.inHead ? 1 : 0];
  }
  const header: Record<string, Json> = {
    id: head.id,
    p: head.parentId ?? null,
    ct: head.checkpointType,
    mt: head.metadataType,
    cl: head.checkpointBytes.byteLength,
    ml: head.metadataBytes.byteLength,
    ch: pointers,
    b: head.inline.map(([channel, bytes]) => [channel, bytes.byteLength]),
  };
  if (head.visibleUntil !== null) header.vu = head.visibleUntil;
  return seal(header, [head.checkpointBytes, head.metadataBytes, ...head.inline.map(([, bytes]) => bytes)]);
}

export function decodeHead(value: unknown): CheckpointHead {
  const { header, payload } = open(value);
  const h = header as {
    id: string;
    p: string | null;
    ct: string;
    mt: string;
    cl: number;
    ml: number;
    ch: Record<string, PointerTuple>;
    b: [string, number][];
    vu?: number;
  };
  const pointers: BlobPointers = {};
  for (const [channel, [writer, version, type, expiresAt, inHead]] of Object.entries(h.ch)) {
    pointers[channel] = { writer, version, type, expiresAt, inHead: inHead === 1 };
  }
  const inline = new Map<string, Uint8Array>();
  let at = h.cl + h.ml;
  for (const [channel, length] of h.b) {
    inline.set(channel, payload.subarray(at, at + length));
    at += length;
  }
  return {
    id: h.id,
    parentId: h.p ?? undefined,
    checkpointType: h.ct,
    checkpointBytes: payload.subarray(0, h.cl),
    metadataType: h.mt,
    metadataBytes: payload.subarray(h.cl, h.cl + h.ml),
    pointers,
    inline,
    visibleUntil: h.vu ?? null,
  };
}

/** A pending write as stored. */
export interface StoredWrite {
  taskId: string;
  channel: string;
  idx: number;
  taskPath: string;
  type: string;
  bytes: Uint8Array;
}

/** One task's writes, in one record (so that a task's writes become visible together, in one write). */
export function encodeTaskWrites(writes: StoredWrite[]): Uint8Array {
  const first = writes[0];
  return seal(
    {
      t: first?.taskId ?? "",
      p: first?.taskPath ?? "",
      w: writes.map((w) => [w.channel, w.idx, w.type, w.bytes.byteLength]),
    },
    writes.map((w) => w.bytes),
  );
}

export function decodeTaskWrites(value: unknown): StoredWrite[] {
  const { header, payload } = open(value);
  const h = header as { t: string; p: string; w: [string, number, string, number][] };
  let at = 0;
  return h.w.map(([channel, idx, type, length]) => {
    const bytes = payload.subarray(at, at + length);
    at += length;
    return { taskId: h.t, channel, idx, taskPath: h.p, type, bytes };
  });
}

/** A cross-thread index entry: the thread's id (its key holds it escaped, or hashed when long). */
export interface ThreadEntry {
  threadId: string;
}

export function decodeThreadEntry(value: unknown): ThreadEntry {
  const threadId = (value as Partial<ThreadEntry> | null)?.threadId;
  if (typeof threadId !== "string") throw new Error("internal: not a thread index entry");
  return { threadId };
}
