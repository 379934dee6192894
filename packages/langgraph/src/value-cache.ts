import { BoundedMap } from "@agent-state/core";

/**
 * Serialized channel values this saver recently wrote or read, by where they are stored (thread, namespace,
 * the checkpoint whose put wrote them, channel, version). Such a value never changes once written, so an
 * entry never goes stale: a `getTuple` takes the values its checkpoint carries over from here instead of
 * reading the records holding them (one request less). Least recently used entries go first once the
 * entries hold more than `capacityBytes` (then down to seven eighths of it; a value read as part of a larger record is copied, so that the
 * bytes counted are the bytes held); a value over a quarter of it is not kept. `deleteThread` drops a
 * thread's entries.
 */
export class ValueCache {
  private readonly entries: BoundedMap<string, Uint8Array>;

  constructor(private readonly capacityBytes: number) {
    this.entries = new BoundedMap(capacityBytes, (bytes) => bytes.byteLength);
  }

  get(thread: string, ns: string, writer: string, channel: string, version: string | number) {
    return this.entries.use(cacheKey(thread, ns, writer, channel, version));
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
    // A view into a larger buffer (a value inside a head read back) would keep all of it alive: keep a copy.
    const own = bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    this.entries.set(cacheKey(thread, ns, writer, channel, version), own);
  }

  drop(thread: string, ns: string, writer: string, channel: string, version: string | number): void {
    this.entries.delete(cacheKey(thread, ns, writer, channel, version));
  }

  dropThread(thread: string): void {
    const prefix = `[${JSON.stringify(thread)},`;
    this.entries.deleteWhere((key) => key.startsWith(prefix));
  }
}

function cacheKey(thread: string, ns: string, writer: string, channel: string, version: string | number) {
  return JSON.stringify([thread, ns, writer, channel, String(version)]);
}
