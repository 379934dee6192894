import {
  observationOf,
  type PreferenceStore,
  STORE_OBSERVATION,
  type StateStore,
  type StoreObservation,
  type StoreStats,
  ValidationError,
} from "@agent-state/core";
import type { Keyring } from "./keyring.js";
import { EncryptedPreferences } from "./preferences.js";
import { EncryptedRecords } from "./records.js";
import { EncryptedSessions } from "./sessions.js";
import { EncryptedToolCache } from "./tool-cache.js";
import { type LegacyPlaintext, ValueCrypto } from "./value-crypto.js";

/** Options of `withEncryption`. */
export interface EncryptionOptions {
  /** Where data keys come from: `localKeyring(...)` or `kmsKeyring(...)`. */
  keyring: Keyring;
  /**
   * What a stored value that is not a ciphertext of this format does on read: `"refuse"` (the default) throws
   * `DecryptionFailedError`; `"read"` is the migration mode for a store that already holds plaintext: such
   * values are returned as they are, and every write encrypts, so each is re-encrypted on its next write.
   */
  legacyPlaintext?: LegacyPlaintext;
  /**
   * Compress values of 1 KiB or more (brotli) before encrypting when that makes them smaller; default true.
   * Turn it off when an attacker could both inject text into a value and watch its stored size.
   */
  compress?: boolean;
}

/**
 * Wraps any `StateStore` so that message contents and metadata, session state, record values, cached tool
 * results and preference values are stored encrypted (AES-256-GCM, envelope encryption with keys from
 * `keyring`), each bound to its kind and place. Ids, keys, scopes, versions, times, roles and counts stay
 * clear. A stored value moved, tampered with or in plaintext throws `DecryptionFailedError` on read. Size limits
 * (`LIMITS`) apply to the plaintext. Takes ownership of `store`: `close()` closes it.
 */
export function withEncryption(store: StateStore, options: EncryptionOptions): EncryptedStateStore {
  return new EncryptedStateStore(store, options);
}

/** The `StateStore` that `withEncryption` returns. */
export class EncryptedStateStore implements StateStore {
  readonly sessions: EncryptedSessions;
  readonly records: EncryptedRecords;
  readonly toolCache: EncryptedToolCache;
  readonly preferences: PreferenceStore;
  /** The keyring this store encrypts with. */
  readonly keyring: Keyring;

  constructor(
    private readonly inner: StateStore,
    options: EncryptionOptions,
  ) {
    const keyring = options.keyring;
    if (typeof keyring?.generateDataKey !== "function" || typeof keyring.unwrapDataKey !== "function") {
      throw new ValidationError("keyring", "must be a keyring (localKeyring or kmsKeyring)");
    }
    const legacy = options.legacyPlaintext ?? "refuse";
    if (legacy !== "refuse" && legacy !== "read") {
      throw new ValidationError("legacyPlaintext", 'must be "refuse" or "read"');
    }
    const crypto = new ValueCrypto(keyring, options.compress ?? true, legacy);
    this.keyring = keyring;
    this.sessions = new EncryptedSessions(inner.sessions, crypto);
    this.records = new EncryptedRecords(inner.records, crypto);
    this.toolCache = new EncryptedToolCache(inner.toolCache, crypto);
    this.preferences = new EncryptedPreferences(inner.preferences, crypto);
  }

  /** The store underneath, holding ciphertext (for `reencrypt`, migrations and tests). */
  get innerStore(): StateStore {
    return this.inner;
  }

  /**
   * How telemetry sees the decorated store: the wrapped store's own description and events (system, tables,
   * capacity), so `withTelemetry(withEncryption(dynamo))` meters DynamoDB as it would without encryption.
   */
  get [STORE_OBSERVATION](): StoreObservation | undefined {
    return observationOf(this.inner);
  }

  stats(): Promise<StoreStats> {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
