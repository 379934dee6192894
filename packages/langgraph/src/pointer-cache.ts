import type { BlobPointers } from "./records.js";

/**
 * The blob pointers of recently put or read checkpoints, so a put finds its parent's (for carried-over
 * channels) without a read: LangGraph puts each checkpoint right after reading or putting its parent.
 * Heads are immutable, so an entry never goes stale; only `deleteThread` drops entries. It also remembers
 * the latest checkpoint seen per thread and namespace: a guess that `getTuple` checks while it reads ahead
 * the guess's values (right in the common case, one round trip; wrong, one more).
 */
export class PointerCache {
  private readonly entries = new Map<string, BlobPointers>();
  private readonly latestIds = new Map<string, string>();

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
    this.latestIds.delete(key);
    this.latestIds.set(key, id);
    if (this.latestIds.size > this.capacity) {
      const oldest = this.latestIds.keys().next().value;
      if (oldest !== undefined) this.latestIds.delete(oldest);
    }
  }

  /** Forgets the namespace's latest (it was removed). */
  dropLatest(thread: string, ns: string): void {
    this.latestIds.delete(latestKey(thread, ns));
  }

  constructor(private readonly capacity: number) {}

  get(thread: string, ns: string, id: string): BlobPointers | undefined {
    const key = cacheKey(thread, ns, id);
    const found = this.entries.get(key);
    if (found) {
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  set(thread: string, ns: string, id: string, pointers: BlobPointers): void {
    const key = cacheKey(thread, ns, id);
    this.entries.delete(key);
    this.entries.set(key, pointers);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  dropThread(thread: string): void {
    const prefix = `${JSON.stringify(thread)},`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
    for (const key of this.latestIds.keys()) if (key.startsWith(prefix)) this.latestIds.delete(key);
  }
}

function cacheKey(thread: string, ns: string, id: string): string {
  return `${JSON.stringify(thread)},${JSON.stringify(ns)},${JSON.stringify(id)}`;
}

function latestKey(thread: string, ns: string): string {
  return `${JSON.stringify(thread)},${JSON.stringify(ns)}`;
}
