import type { ChannelVersions } from "@langchain/langgraph-checkpoint";
import { concat, open, seal } from "./envelope.js";

type ChannelVersion = ChannelVersions[string];

// The saver's record values. A checkpoint head holds the checkpoint without its channel values, the
// metadata, the parent id and, per channel, where its value is (the blob's writer checkpoint, version, serde
// type, expiry): a carried-over channel points at an ancestor's blob, so a put writes only what changed.

/** Where one channel's value is stored. */
export interface BlobPointer {
  /** The checkpoint whose put wrote the blob. */
  writer: string;
  version: ChannelVersion;
  /** The serde type of the blob's bytes. */
  type: string;
  /** When the blob expires (epoch ms), or null. */
  expiresAt: number | null;
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
}

type PointerTuple = [string, ChannelVersion, string, number | null];

export function encodeHead(head: CheckpointHead): Uint8Array {
  const pointers: Record<string, PointerTuple> = {};
  for (const [channel, p] of Object.entries(head.pointers)) {
    pointers[channel] = [p.writer, p.version, p.type, p.expiresAt];
  }
  return seal(
    {
      id: head.id,
      p: head.parentId ?? null,
      ct: head.checkpointType,
      mt: head.metadataType,
      cl: head.checkpointBytes.byteLength,
      ch: pointers,
    },
    concat([head.checkpointBytes, head.metadataBytes]),
  );
}

export function decodeHead(value: unknown): CheckpointHead {
  const { header, payload } = open(value);
  const h = header as {
    id: string;
    p: string | null;
    ct: string;
    mt: string;
    cl: number;
    ch: Record<string, PointerTuple>;
  };
  const pointers: BlobPointers = {};
  for (const [channel, [writer, version, type, expiresAt]] of Object.entries(h.ch)) {
    pointers[channel] = { writer, version, type, expiresAt };
  }
  return {
    id: h.id,
    parentId: h.p ?? undefined,
    checkpointType: h.ct,
    checkpointBytes: payload.subarray(0, h.cl),
    metadataType: h.mt,
    metadataBytes: payload.subarray(h.cl),
    pointers,
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

export function encodeWrite(w: StoredWrite): Uint8Array {
  return seal({ t: w.taskId, c: w.channel, i: w.idx, p: w.taskPath, y: w.type }, w.bytes);
}

export function decodeWrite(value: unknown): StoredWrite {
  const { header, payload } = open(value);
  const h = header as { t: string; c: string; i: number; p: string; y: string };
  return { taskId: h.t, channel: h.c, idx: h.i, taskPath: h.p, type: h.y, bytes: payload };
}

/** A cross-thread index entry: where the checkpoint is, and its metadata (so filters need no extra read). */
export interface IndexEntry {
  threadId: string;
  ns: string;
  id: string;
  metadataType: string;
  metadataBytes: Uint8Array;
}

export function encodeIndexEntry(e: IndexEntry): Uint8Array {
  return seal({ th: e.threadId, ns: e.ns, id: e.id, mt: e.metadataType }, e.metadataBytes);
}

export function decodeIndexEntry(value: unknown): IndexEntry {
  const { header, payload } = open(value);
  const h = header as { th: string; ns: string; id: string; mt: string };
  return { threadId: h.th, ns: h.ns, id: h.id, metadataType: h.mt, metadataBytes: payload };
}
