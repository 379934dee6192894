import { BoundedMap } from "@agent-state/core";
import type { BlobPointers } from "./records.js";

/**
 * The blob pointers of recently put or read checkpoints, so a put finds its parent's (for carried-over
 * channels) without a read: LangGraph puts each checkpoint right after reading or putting its parent.
 * Heads are immutable, so an entry never goes stale; only `deleteThread` drops entries. It also remembers
 * the latest checkpoint seen per thread and namespace: a guess that `getTuple` checks while it reads ahead
 * the guess's values (right in the common case, one round trip; wrong, one more).
 */
export class PointerCache {
  private readonly entries: BoundedMap<string, BlobPointers>;
  private readonly latestIds: BoundedMap<string, string>;

  constructor(capacity: number) {
    this.entries = new BoundedMap(capacity);
    this.latestIds = new BoundedMap(capacity);
  }

  /** The latest checkpoint id seen of a namespace, and its pointers when they are still cached. */
  latest(thread: string, ns: string): { id: string; pointers: BlobPointers } | undefined {
    const id = this.latestIds.get(latestKey(thread, ns));
    if (id === undefined) return undefined;
    const pointers = this.get(thread, ns, id);
    return pointers ? { id, pointers } : undefined;
  }

  /** A checkpoint whose pointers are cached, as a guess for `getTuple` by id. */
  known(thread: string, ns: string, id: string): { id: string; pointers: BlobPointers } | undefined {
    const pointers = this.get(thread, ns, id);
    return pointers ? { id, pointers } : undefined;
  }

  /** Records `id` as the namespace's latest (unless a later id is known). */
  setLatest(thread: string, ns: string, id: string): void {
    const key = latestKey(thread, ns);
    const known = this.latestIds.get(key);
    if (known !== undefined && known > id) return;
    this.latestIds.set(key, id);
  }

  /** Forgets the namespace's latest (it was removed). */
  dropLatest(thread: string, ns: string): void {
    this.latestIds.delete(latestKey(thread, ns));
  }

  get(thread: string, ns: string, id: string): BlobPointers | undefined {
    return this.entries.use(cacheKey(thread, ns, id));
  }

  set(thread: string, ns: string, id: string, pointers: BlobPointers): void {
    this.entries.set(cacheKey(thread, ns, id), pointers);
  }

  /** Forgets one checkpoint's pointers. */
  drop(thread: string, ns: string, id: string): void {
    this.entries.delete(cacheKey(thread, ns, id));
  }

  dropThread(thread: string): void {
    const prefix = `${JSON.stringify(thread)},`;
    this.entries.deleteWhere((key) => key.startsWith(prefix));
    this.latestIds.deleteWhere((key) => key.startsWith(prefix));
  }
}

function cacheKey(thread: string, ns: string, id: string): string {
  return `${JSON.stringify(thread)},${JSON.stringify(ns)},${JSON.stringify(id)}`;
}

function latestKey(thread: string, ns: string): string {
  return `${JSON.stringify(thread)},${JSON.stringify(ns)}`;
}
