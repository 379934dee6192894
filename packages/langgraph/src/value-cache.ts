/**
 * Serialized channel values this saver recently wrote or read, by where they are stored (thread, namespace,
 * the checkpoint whose put wrote them, channel, version). Such a value never changes once written, so an
 * entry never goes stale: a `getTuple` takes the values its checkpoint carries over from here instead of
 * reading the records holding them (one request less). Least recently used entries go first once the
 * entries hold more than `capacityBytes` (a value read as part of a larger record is copied, so that the
 * bytes counted are the bytes held); a value over a quarter of it is not kept. `deleteThread` drops a
 * thread's entries.
 */
export class ValueCache {
  private readonly entries = new Map<string, Uint8Array>();
  private heldBytes = 0;

  constructor(private readonly capacityBytes: number) {}

  get(thread: string, ns: string, writer: string, channel: string, version: string | number) {
    const key = cacheKey(thread, ns, writer, channel, version);
    const found = this.entries.get(key);
    if (found) {
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  set(
    thread: string,
    ns: string,
    writer: string,
    channel: string,
    version: string | number,
    bytes: Uint8Array,
  ) {
    if (bytes.byteLength > this.capacityBytes / 4) return;
    const key = cacheKey(thread, ns, writer, channel, version);
    this.remove(key);
    // A view into a larger buffer (a value inside a head read back) would keep all of it alive: keep a copy.
    const own = bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    this.entries.set(key, own);
    this.heldBytes += bytes.byteLength;
    for (const oldest of this.entries.keys()) {
      if (this.heldBytes <= this.capacityBytes) break;
      this.remove(oldest);
    }
  }

  dropThread(thread: string): void {
    const prefix = `[${JSON.stringify(thread)},`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.remove(key);
  }

  private remove(key: string): void {
    const bytes = this.entries.get(key);
    if (bytes === undefined) return;
    this.entries.delete(key);
    this.heldBytes -= bytes.byteLength;
  }
}

function cacheKey(thread: string, ns: string, writer: string, channel: string, version: string | number) {
  return JSON.stringify([thread, ns, writer, channel, String(version)]);
}
