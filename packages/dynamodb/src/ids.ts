import { createSortableIdGenerator } from "@agent-state/core";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Sortable ids for session incarnations and messages (core's ULID generator), kept above every id this
 * source has issued or observed. Observing the stored `lastMessageId` after a failed condition lets a
 * process whose clock runs behind another's still issue ids that sort after the stored ones.
 */
export class SortableIdSource {
  private readonly generate: () => string;
  private last = "";

  constructor(now: () => number) {
    this.generate = createSortableIdGenerator(now);
  }

  next(): string {
    const generated = this.generate();
    const id = generated > this.last ? generated : increment(this.last);
    this.last = id;
    return id;
  }

  /** Makes every later id sort after `id`. */
  observe(id: string): void {
    if (id > this.last) this.last = id;
  }
}

/** The next string of the same length in Crockford base32 order (ids are 26 characters, so it never overflows). */
function increment(id: string): string {
  const chars = id.split("");
  for (let i = chars.length - 1; i >= 0; i--) {
    const digit = CROCKFORD.indexOf(chars[i] ?? "0");
    if (digit < CROCKFORD.length - 1) {
      chars[i] = CROCKFORD[digit + 1] ?? "0";
      return chars.join("");
    }
    chars[i] = "0";
  }
  return `${id}0`;
}
