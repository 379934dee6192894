import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DecryptionFailedError, ValidationError } from "@agent-state/core";

/** A data key: 32 random bytes for AES-256, and the same wrapped (encrypted) under a keyring key. */
export interface DataKey {
  /** The keyring key that wrapped it (stored with every value, so rotation keeps old values readable). */
  keyId: string;
  plaintext: Uint8Array;
  wrapped: Uint8Array;
}

/**
 * Where data keys come from and are unwrapped: envelope encryption's key-encryption keys. `withEncryption` asks
 * for a data key on writes and unwraps the key stored with a value on reads.
 */
export interface Keyring {
  /** The key new writes use. */
  readonly currentKeyId: string;
  /**
   * A data key wrapped under the current key. May hand out the same data key for several writes (a bounded,
   * time-limited cache); every value still gets its own derived key (see the README).
   */
  generateDataKey(): Promise<DataKey>;
  /**
   * The plaintext of a data key wrapped under `keyId`. Throws `DecryptionFailedError` when `keyId` is not in
   * the keyring or the wrapped key was tampered with; `UnavailableError` (or a subclass) when the key service
   * cannot be reached or refuses.
   */
  unwrapDataKey(keyId: string, wrapped: Uint8Array): Promise<Uint8Array>;
}

/** Options of `localKeyring`. */
export interface LocalKeyringOptions {
  /** Key id → 32-byte AES-256 key. Ids are stored with each value: keep old keys here to read old values. */
  keys: Record<string, Uint8Array>;
  /** The id of the key new writes use. */
  current: string;
}

const WRAP_IV_BYTES = 12;
const LOCAL_MAX_USES = 1000;
const LOCAL_MAX_AGE_MS = 60_000;
const TAG_BYTES = 16;

/**
 * A keyring of keys held in this process, for development, tests and self-hosting with a key file. Each data
 * key is fresh (32 random bytes), wrapped with AES-256-GCM under the current key (60 bytes stored), and used
 * for up to 1000 writes or 60 seconds, like the KMS keyring's cache, so hot reads unwrap once. Throws
 * `ValidationError` for a key that is not 32 bytes, an id that is empty or over 255 bytes, or a `current` that
 * is not in `keys`.
 */
export function localKeyring(options: LocalKeyringOptions): Keyring {
  const keys = new Map<string, Buffer>();
  for (const [id, key] of Object.entries(options.keys)) {
    checkKeyId(`keys.${id}`, id);
    if (!(key instanceof Uint8Array) || key.byteLength !== 32) {
      throw new ValidationError(`keys.${id}`, "must be 32 bytes (a Uint8Array or Buffer)");
    }
    keys.set(id, Buffer.from(key));
  }
  const current = options.current;
  const currentKey = keys.get(current);
  if (currentKey === undefined) throw new ValidationError("current", "must name one of keys");
  let cached: { key: DataKey; uses: number; at: number } | null = null;
  return {
    currentKeyId: current,
    async generateDataKey() {
      const now = performance.now();
      if (cached !== null && cached.uses < LOCAL_MAX_USES && now - cached.at < LOCAL_MAX_AGE_MS) {
        cached.uses++;
        return cached.key;
      }
      const plaintext = randomBytes(32);
      const iv = randomBytes(WRAP_IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", currentKey, iv);
      cipher.setAAD(wrapContext(current));
      const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      const key = { keyId: current, plaintext, wrapped };
      cached = { key, uses: 1, at: now };
      return key;
    },
    async unwrapDataKey(keyId, wrapped) {
      const key = keys.get(keyId);
      if (key === undefined) {
        throw new DecryptionFailedError("data key", `key ${JSON.stringify(keyId)} is not in the keyring`);
      }
      if (wrapped.byteLength !== WRAP_IV_BYTES + 32 + TAG_BYTES) {
        throw new DecryptionFailedError("data key", "the wrapped data key is malformed");
      }
      try {
        const bytes = Buffer.from(wrapped);
        const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, WRAP_IV_BYTES));
        decipher.setAAD(wrapContext(keyId));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(bytes.subarray(WRAP_IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch (cause) {
        throw new DecryptionFailedError("data key", "the wrapped data key failed authentication", { cause });
      }
    },
  };
}

function wrapContext(keyId: string): Buffer {
  return Buffer.from(`agent-state/local-keyring/v1\u0000${keyId}`, "utf8");
}

/** Key ids are stored with each value in one length byte. */
export function checkKeyId(field: string, id: string): void {
  const bytes = Buffer.byteLength(id, "utf8");
  if (bytes === 0 || bytes > 255) throw new ValidationError(field, "key id must be 1 to 255 bytes");
}
