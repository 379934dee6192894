import { createHash } from "node:crypto";

// How LangGraph's coordinates map to record scopes and keys. Every variable part of a key is a segment:
// "%" and "/" escaped (so "/" ends a segment and no key is a prefix of another's segment), hashed when long
// (keys hold ≤ 512 bytes). Checkpoint ids are uuid6 (time-sortable), unaffected by the escaping, so key
// order within a namespace is checkpoint order.

const LONG_SEGMENT_BYTES = 160;
const NEEDS_ESCAPE = /[%/]/;

/** A key segment: escaped; a long one becomes "%H" + its SHA-256 (no escaped text starts with "%H"). */
export function segment(text: string): string {
  // Most segments (uuid6 ids, short names) need neither: ≤ 3 UTF-8 bytes per UTF-16 unit.
  if (text.length * 3 <= LONG_SEGMENT_BYTES && !NEEDS_ESCAPE.test(text)) return text;
  const escaped = text.replaceAll("%", "%25").replaceAll("/", "%2F");
  if (Buffer.byteLength(escaped, "utf8") <= LONG_SEGMENT_BYTES) return escaped;
  return `%H${createHash("sha256").update(text, "utf8").digest("base64url")}`;
}

/** Sorts after every key that starts with `prefix` + a segment + "/"... : "0" is the code point after "/". */
const AFTER_SLASH = "0";

/**
 * Keys of one thread's scope. A checkpoint's pending writes sit right after its head (`c/<ns>/<id>` <
 * `c/<ns>/<id>/<task>` < the next checkpoint's head), so one range reads a checkpoint with its writes, and a
 * descending range over `c/<ns>/` meets each checkpoint's writes just before its head.
 */
export const threadKeys = {
  /** A checkpoint's head record: `c/<ns>/<id>`; the latest of a namespace is the last head under `c/<ns>/`. */
  checkpoint: (ns: string, id: string) => `c/${segment(ns)}/${segment(id)}`,
  /** Heads and writes of a namespace. */
  checkpointPrefix: (ns: string) => `c/${segment(ns)}/`,
  /** One channel value too large for its head, immutable: `b/<ns>/<writer checkpoint id>/<channel>/<version>`. */
  blob: (ns: string, writerId: string, channel: string, version: string) =>
    `b/${segment(ns)}/${segment(writerId)}/${segment(channel)}/${segment(version)}`,
  /** One task's pending writes: `c/<ns>/<checkpoint id>/<task id>`, under the checkpoint's head key. */
  taskWrites: (ns: string, id: string, taskId: string) =>
    `c/${segment(ns)}/${segment(id)}/${segment(taskId)}`,
  writesPrefix: (ns: string, id: string) => `c/${segment(ns)}/${segment(id)}/`,
  /** The thread's namespaces, one entry each: `n/<ns>` (written with a namespace's first put by a saver). */
  namespace: (ns: string) => `n/${segment(ns)}`,
  namespacePrefix: "n/",
} as const;

/**
 * Keys of the cross-thread index scope: one entry per thread, `t/<thread>` → `{ threadId }`, written with a
 * saver's first put in the thread (not with every put: the index costs no request on the hot path).
 */
export const indexKeys = {
  thread: (threadId: string) => `t/${segment(threadId)}`,
  prefix: "t/",
} as const;

/** True for a head key `c/<ns>/<id>`, false for a writes key `c/<ns>/<id>/<task>` (segments hold no "/"). */
export function isHeadKey(key: string): boolean {
  return key.startsWith("c/") && key.indexOf("/", key.indexOf("/", 2) + 1) === -1;
}

/** The checkpoint id segment of a head or writes key under `prefix` (`c/<ns>/`). */
export function idSegmentOf(key: string, prefix: string): string {
  const end = key.indexOf("/", prefix.length);
  return end === -1 ? key.slice(prefix.length) : key.slice(prefix.length, end);
}

/** The first key after every key that starts with `prefix` (for exclusive `after` bounds). */
export function pastPrefix(prefix: string): string {
  if (!prefix.endsWith("/")) throw new Error(`internal: ${prefix} is not a segment prefix`);
  return `${prefix.slice(0, -1)}${AFTER_SLASH}`;
}
