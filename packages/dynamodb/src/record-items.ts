import { BoundedMap, decodeRecordValue, type StoredRecord } from "@agent-state/core";
import type { ValueAttributes } from "./large-values.js";
import { RECORD_SK_PREFIX, recordChunkBase } from "./schema.js";

/** A record's head item as stored (see README, "Records"). */
export interface RecordItem extends ValueAttributes {
  pk: string;
  sk: string;
  /** "j": the payload is the value's JSON text; "b": raw bytes. */
  t: "j" | "b";
  version: number;
  updatedAt: number;
  /** Absent for a record that never expires. */
  expiresAt?: number;
  ttl?: number;
  /** Set when an atomic batch of several ops wrote the head: readers then read such heads serializably. */
  bid?: string;
}

/** What a write assumes about a key's head: no live record, or this version with these chunks. */
export type HeadState = { version: number; vid: string | null; vn?: number } | null;

export function isLiveRecord(item: Partial<RecordItem> | null | undefined, now: number): boolean {
  if (item === null || item === undefined || typeof item.version !== "number") return false;
  return item.expiresAt === undefined || item.expiresAt > now;
}

export function stateOf(item: Partial<RecordItem> | null | undefined, now: number): HeadState {
  return item !== null && item !== undefined && isLiveRecord(item, now)
    ? {
        version: Number(item.version),
        vid: item.vid ?? null,
        ...(item.vn !== undefined ? { vn: Number(item.vn) } : {}),
      }
    : null;
}

export function keyOf(item: { sk: unknown }): string {
  return String(item.sk).slice(RECORD_SK_PREFIX.length);
}

/** The chunk base of a head's payload, or null when it is inline. */
export function chunkBaseOf(item: RecordItem): string | null {
  return item.vid === undefined ? null : recordChunkBase(keyOf(item), item.vid);
}

export function toStoredRecord(item: RecordItem, payload: Uint8Array): StoredRecord {
  return {
    key: keyOf(item),
    value: decodeRecordValue({ type: item.t === "b" ? "bytes" : "json", bytes: payload }),
    version: item.version,
    updatedAt: item.updatedAt,
    expiresAt: item.expiresAt ?? null,
  };
}

/**
 * The condition that the head is in `state` (expressions use #sk, #version, #expiresAt, #vid and :now).
 * "No live record" includes an expired one, unless `noItem`: then it is "no item at all", the simpler
 * condition a first try assumes (a failure returns the item in the way; when that one has expired, the
 * next try states the full condition).
 */
export function stateCondition(state: HeadState, values: Record<string, unknown>, noItem = false): string {
  // The first write to a new key: "sk" is no reserved word, so no names map (DynamoDB Local parses one in
  // ≈0.03 ms a request).
  if (state === null && noItem) return "attribute_not_exists(sk)";
  if (state === null) return "(attribute_not_exists(#sk) OR #expiresAt <= :now)";
  values[":stateVersion"] = state.version;
  let condition = "#version = :stateVersion AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)";
  if (state.vid === null) condition += " AND attribute_not_exists(#vid)";
  else {
    values[":stateVid"] = state.vid;
    condition += " AND #vid = :stateVid";
  }
  return condition;
}

export const RECORD_NAMES = {
  "#sk": "sk",
  "#version": "version",
  "#expiresAt": "expiresAt",
  "#vid": "vid",
} as const;

/**
 * Last-known head states per scope and key, so that a write conditions on the right state at the first try
 * (a wrong guess costs one more round trip: the failed condition's ALL_OLD item corrects it).
 */
export class HeadStateCache {
  private readonly states = new BoundedMap<string, HeadState>(10_000);

  get(scope: string, key: string): HeadState | undefined {
    return this.states.get(`${scope}\u0000${key}`);
  }

  set(scope: string, key: string, state: HeadState): void {
    this.states.set(`${scope}\u0000${key}`, state);
  }

  forgetScope(scope: string): void {
    const prefix = `${scope}\u0000`;
    this.states.deleteWhere((key) => key.startsWith(prefix));
  }
}
