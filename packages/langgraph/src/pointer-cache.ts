import type { BlobPointers } from "./records.js";

/**
 * The blob pointers of recently put or read checkpoints, so a put finds its parent's (for carried-over
 * channels) without a read: LangGraph puts each checkpoint right after reading or putting its parent.
 * Heads are immutable, so an entry never goes stale; only `deleteThread` drops entries.
 */
export class PointerCache {
  private readonly entries = new Map<string, BlobPointers>();

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
  }
}

function cacheKey(thread: string, ns: string, id: string): string {
  return `${JSON.stringify(thread)},${JSON.stringify(ns)},${JSON.stringify(id)}`;
}
