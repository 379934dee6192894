import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from "node:zlib";
import { LIMITS } from "@agent-state/core";

// The binary format of one encrypted value (all integers big-endian):
//   "ASE" 0x01 | flags (1) | key id length (1) | key id | wrapped data key length (2) | wrapped data key
//   | salt (16) | iv (12) | ciphertext | GCM tag (16)
// Everything before the ciphertext is the header; the associated data is the header followed by the value's
// context (its kind and place), so neither can be changed or moved without the tag failing.

const MAGIC = Buffer.from([0x41, 0x53, 0x45, 0x01]); // "ASE", format 1
const FLAG_BROTLI = 0x01;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Values at least this long are compressed before encryption when that makes them smaller. */
export const COMPRESS_MIN_BYTES = 1024;
/** Bound on a decompressed value (a tampered value never gets here: the tag is checked first). */
const MAX_PLAINTEXT_BYTES = LIMITS.maxBytesPerWrite + 1024 * 1024;

/** The per-value key: derived from a data key and a salt, with the data key's id and wrapped form. */
export interface ValueKey {
  keyId: string;
  wrapped: Uint8Array;
  salt: Uint8Array;
  aesKey: Buffer;
  /** For synthetic (deterministic) nonces of idempotent appends; derived on first use. */
  readonly macKey: Buffer;
}

/**
 * HKDF-Expand (RFC 5869, SHA-256, one 32-byte block) with the data key as the pseudorandom key: a data key is
 * already uniformly random, so the extract step is skipped (RFC 5869 §3.3). `info` is the label and the salt.
 */
function expand(dataKey: Uint8Array, label: string, salt: Uint8Array): Buffer {
  return createHmac("sha256", dataKey).update(label).update(salt).update(ONE).digest();
}
const ONE = Buffer.from([1]);

/** Derives the AES key (and, lazily, the MAC key) of a value from a data key and a salt (HKDF-Expand). */
export function deriveValueKey(
  dataKey: { keyId: string; plaintext: Uint8Array; wrapped: Uint8Array },
  salt: Uint8Array = randomBytes(SALT_BYTES),
): ValueKey {
  const secret = dataKey.plaintext;
  let macKey: Buffer | undefined;
  return {
    keyId: dataKey.keyId,
    wrapped: dataKey.wrapped,
    salt,
    aesKey: expand(secret, "agent-state/encryption/v1/aes", salt),
    get macKey() {
      macKey ??= expand(secret, "agent-state/encryption/v1/mac", salt);
      return macKey;
    },
  };
}

/** The associated data naming a value's kind and place: length-prefixed parts, so no two lists collide. */
export function contextBytes(parts: readonly string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    chunks.push(length, bytes);
  }
  return Buffer.concat(chunks);
}

/** HMAC-SHA256 of `parts` under the value key's MAC key: the source of deterministic nonces. */
export function keyedDigest(key: ValueKey, parts: readonly string[]): Buffer {
  return createHmac("sha256", key.macKey).update(contextBytes(parts)).digest();
}

/**
 * Encrypts `plaintext` bound to `context`. `iv` is random unless given (a synthetic one for idempotent
 * appends, unique per distinct plaintext and place). Compresses first when that helps and `compress` is on.
 */
export function seal(
  key: ValueKey,
  context: readonly string[],
  plaintext: Uint8Array,
  options: { compress: boolean; iv?: Buffer | undefined },
): Buffer {
  let body: Uint8Array = plaintext;
  let flags = 0;
  if (options.compress && plaintext.byteLength >= COMPRESS_MIN_BYTES) {
    const compressed = brotliCompressSync(plaintext, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: 4,
        [zlib.BROTLI_PARAM_SIZE_HINT]: plaintext.byteLength,
      },
    });
    if (compressed.byteLength < plaintext.byteLength) {
      body = compressed;
      flags |= FLAG_BROTLI;
    }
  }
  const iv = options.iv ?? randomBytes(IV_BYTES);
  const keyId = Buffer.from(key.keyId, "utf8");
  const header = Buffer.alloc(
    MAGIC.length + 2 + keyId.length + 2 + key.wrapped.byteLength + SALT_BYTES + IV_BYTES,
  );
  let at = MAGIC.copy(header, 0);
  at = header.writeUInt8(flags, at);
  at = header.writeUInt8(keyId.length, at);
  at += keyId.copy(header, at);
  at = header.writeUInt16BE(key.wrapped.byteLength, at);
  at += Buffer.from(key.wrapped).copy(header, at);
  at += Buffer.from(key.salt).copy(header, at);
  iv.copy(header, at, 0, IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.aesKey, iv.subarray(0, IV_BYTES));
  cipher.setAAD(Buffer.concat([header, contextBytes(context)]));
  return Buffer.concat([header, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
}

/** An encrypted value's parts, as read from its bytes. */
export interface ParsedEnvelope {
  keyId: string;
  wrapped: Buffer;
  salt: Buffer;
  flags: number;
  header: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** The parts of an encrypted value, or null when `bytes` is not one (wrong magic, truncated, bad lengths). */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 2 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  let at = MAGIC.length;
  const flags = buf.readUInt8(at++);
  if ((flags & ~FLAG_BROTLI) !== 0) return null;
  const keyIdLength = buf.readUInt8(at++);
  if (buf.length < at + keyIdLength + 2) return null;
  const keyId = buf.toString("utf8", at, at + keyIdLength);
  at += keyIdLength;
  const wrappedLength = buf.readUInt16BE(at);
  at += 2;
  const headerEnd = at + wrappedLength + SALT_BYTES + IV_BYTES;
  if (buf.length < headerEnd + TAG_BYTES) return null;
  const wrapped = buf.subarray(at, at + wrappedLength);
  at += wrappedLength;
  const salt = buf.subarray(at, at + SALT_BYTES);
  at += SALT_BYTES;
  const iv = buf.subarray(at, at + IV_BYTES);
  return {
    keyId,
    wrapped,
    salt,
    flags,
    header: buf.subarray(0, headerEnd),
    iv,
    ciphertext: buf.subarray(headerEnd, buf.length - TAG_BYTES),
    tag: buf.subarray(buf.length - TAG_BYTES),
  };
}

/** Whether the value was compressed before encryption (then its ciphertext is not as long as its plaintext). */
export function isCompressed(parsed: ParsedEnvelope): boolean {
  return (parsed.flags & FLAG_BROTLI) !== 0;
}

/** Decrypts (throws when the tag fails: tampered, or another context) and decompresses. */
export function openEnvelope(parsed: ParsedEnvelope, aesKey: Buffer, context: readonly string[]): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", aesKey, parsed.iv);
  decipher.setAAD(Buffer.concat([parsed.header, contextBytes(context)]));
  decipher.setAuthTag(parsed.tag);
  const body = Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
  if ((parsed.flags & FLAG_BROTLI) === 0) return body;
  return brotliDecompressSync(body, { maxOutputLength: MAX_PLAINTEXT_BYTES });
}
