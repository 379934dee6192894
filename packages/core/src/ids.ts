import { randomBytes, randomUUID } from "node:crypto";

/** A new random session id (a UUID v4). */
export function newSessionId(): string {
  return randomUUID();
}

const SEQUENCE_WIDTH = 12;
const MAX_SEQUENCE = 10 ** SEQUENCE_WIDTH - 1;
const SEQUENCE_ID = /^m\d{12}$/;

/**
 * The id of the n-th message of a session (n from 1 to 10^12 - 1): zero-padded so that plain string
 * comparison sorts ids in append order, e.g. `m000000000042`. For backends that number messages atomically.
 * Throws `RangeError` for any other n, since its id would not sort in order.
 */
export function sequenceMessageId(sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_SEQUENCE) {
    throw new RangeError(
      `message sequence must be a whole number from 1 to ${MAX_SEQUENCE}, got ${sequence}`,
    );
  }
  return `m${sequence.toString().padStart(SEQUENCE_WIDTH, "0")}`;
}

const SEQUENCE_DIGITS = /^[1-9]\d{0,11}$/;
const ZEROS = "0".repeat(SEQUENCE_WIDTH);

/**
 * `sequenceMessageId(Number(digits))` for a sequence written as its decimal digits (as a backend that stores
 * the sequence as text reads it back), padded as text without a round trip through a number: it runs once
 * per message read. Throws `RangeError` as `sequenceMessageId` does.
 */
export function sequenceMessageIdOfDigits(digits: string): string {
  if (!SEQUENCE_DIGITS.test(digits)) return sequenceMessageId(Number(digits));
  return `m${ZEROS.slice(digits.length)}${digits}`;
}

/** The sequence number in an id made by `sequenceMessageId`, or null for any other string. */
export function parseSequenceMessageId(id: string): number | null {
  // Number() alone would also read " 0000000001", "0x000000001" or "0000000001e1".
  if (!SEQUENCE_ID.test(id)) return null;
  const n = Number(id.slice(1));
  return n > 0 ? n : null;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Sortable unique ids (ULID layout: 48-bit millisecond time + 80 random bits, Crockford base32) made
 * monotonic within this generator: an id never sorts before the previous one, even in the same
 * millisecond or when the clock steps back. For backends that cannot number messages atomically.
 */
export function createSortableIdGenerator(now: () => number = Date.now): () => string {
  let lastTime = -1;
  let lastRandom: Uint8Array = new Uint8Array(10);
  return () => {
    let time = Math.max(0, Math.floor(now()));
    if (time <= lastTime) {
      time = lastTime;
      lastRandom = incremented(lastRandom);
    } else {
      lastTime = time;
      lastRandom = new Uint8Array(randomBytes(10));
    }
    return encodeTime(time) + encodeRandom(lastRandom);
  };
}

function incremented(bytes: Uint8Array): Uint8Array {
  const next = new Uint8Array(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    next[i] = ((next[i] ?? 0) + 1) & 0xff;
    if (next[i] !== 0) return next;
  }
  return next; // 2^80 ids in one millisecond: wraps, which never happens in practice
}

function encodeTime(time: number): string {
  let out = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}
