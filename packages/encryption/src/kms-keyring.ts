import {
  BoundedMap,
  DecryptionFailedError,
  type StateStoreError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "@agent-state/core";
import type { DecryptCommand, GenerateDataKeyCommand, KMSClientConfig } from "@aws-sdk/client-kms";
import { checkKeyId, type DataKey, type Keyring } from "./keyring.js";

/** The part of a KMS client the keyring uses (any `KMSClient`). */
export interface KmsClientLike {
  send(command: GenerateDataKeyCommand | DecryptCommand): Promise<unknown>;
}

/** How long and how often a data key from KMS is reused, and how many unwrapped keys are remembered. */
export interface KmsDataKeyCacheOptions {
  /** A data key (for writes) or an unwrapped key (for reads) is used for at most this long. Default 300. */
  maxAgeSeconds?: number;
  /** A data key encrypts at most this many writes before a new one is asked for. Default 10 000. */
  maxUses?: number;
  /** At most this many unwrapped data keys are remembered for reads. Default 1000. */
  maxEntries?: number;
  /** The clock the ages are judged by (ms); default `performance.now`. For tests. */
  now?: () => number;
}

interface KmsKeyringBase {
  /** The KMS key (key id, key ARN, alias name or alias ARN) that new data keys are generated under. */
  keyId: string;
  /** Further KMS keys whose data keys stay readable, e.g. the previous `keyId` after a rotation. */
  readKeyIds?: string[];
  /** The encryption context sent with every GenerateDataKey and Decrypt. Default `{ "agent-state": "data-key" }`. */
  encryptionContext?: Record<string, string>;
  cache?: KmsDataKeyCacheOptions;
}

/** Options of `kmsKeyring`: a KMS client, or the configuration to make one (not both). */
export type KmsKeyringOptions = KmsKeyringBase &
  ({ client: KmsClientLike; clientConfig?: never } | { client?: never; clientConfig?: KMSClientConfig });

/**
 * Why the keyring could not get or unwrap a data key: KMS refused (`access-denied`: the caller lacks
 * `kms:GenerateDataKey` / `kms:Decrypt`; `key-unusable`: the key is disabled, pending deletion, missing or of
 * the wrong kind) or could not be reached (`unreachable`). Code `UNAVAILABLE`: nothing was written or returned.
 */
export class KeyringUnavailableError extends UnavailableError {
  readonly reason: "access-denied" | "key-unusable" | "unreachable";
  readonly keyId: string;
  constructor(reason: KeyringUnavailableError["reason"], keyId: string, message: string, cause: unknown) {
    super(`KMS key ${JSON.stringify(keyId)}: ${message}`, { cause });
    this.reason = reason;
    this.keyId = keyId;
  }
}

const DEFAULT_CONTEXT = { "agent-state": "data-key" };

/**
 * A keyring on AWS KMS (`@aws-sdk/client-kms`): GenerateDataKey (AES_256) under `keyId` for writes, Decrypt for
 * reads, both with an encryption context. Data keys are cached (bounded by age, uses and entries) so a hot
 * session does not call KMS per message: one GenerateDataKey per `maxUses` writes or `maxAgeSeconds`, one
 * Decrypt per distinct data key read within `maxAgeSeconds`. Throws `ValidationError` for bad options.
 */
export function kmsKeyring(options: KmsKeyringOptions): Keyring {
  return new KmsKeyring(options);
}

interface CachedKey {
  key: DataKey;
  createdAt: number;
  uses: number;
}

class KmsKeyring implements Keyring {
  readonly currentKeyId: string;
  private readonly readable: ReadonlySet<string>;
  private client: KmsClientLike | undefined;
  private readonly clientConfig: KMSClientConfig;
  /** The KMS SDK, loaded on the first call: a store on a local keyring never loads it. */
  private sdk: Promise<typeof import("@aws-sdk/client-kms")> | undefined;
  private readonly context: Record<string, string>;
  private readonly maxAgeMs: number;
  private readonly maxUses: number;
  private readonly now: () => number;
  private current: CachedKey | null = null;
  private generating: Promise<DataKey> | null = null;
  private readonly unwrapped: BoundedMap<string, { plaintext: Uint8Array; at: number }>;
  private readonly unwrapping = new Map<string, Promise<Uint8Array>>();

  constructor(options: KmsKeyringOptions) {
    if (typeof options.keyId !== "string") throw new ValidationError("keyId", "must be a KMS key id or ARN");
    checkKeyId("keyId", options.keyId);
    for (const id of options.readKeyIds ?? []) checkKeyId("readKeyIds", id);
    if (options.client !== undefined && options.clientConfig !== undefined) {
      throw new ValidationError("client", "give client or clientConfig, not both");
    }
    const cache = options.cache ?? {};
    this.maxAgeMs = positive("cache.maxAgeSeconds", cache.maxAgeSeconds ?? 300) * 1000;
    this.maxUses = positive("cache.maxUses", cache.maxUses ?? 10_000);
    this.unwrapped = new BoundedMap(positive("cache.maxEntries", cache.maxEntries ?? 1000));
    this.now = cache.now ?? (() => performance.now());
    this.currentKeyId = options.keyId;
    this.readable = new Set([options.keyId, ...(options.readKeyIds ?? [])]);
    this.client = options.client;
    this.clientConfig = options.clientConfig ?? {};
    this.context = { ...(options.encryptionContext ?? DEFAULT_CONTEXT) };
  }

  async generateDataKey(): Promise<DataKey> {
    const cached = this.current;
    if (cached !== null && cached.uses < this.maxUses && this.now() - cached.createdAt < this.maxAgeMs) {
      cached.uses++;
      return cached.key;
    }
    // Concurrent writers share one GenerateDataKey call.
    this.generating ??= this.generate().finally(() => {
      this.generating = null;
    });
    return this.generating;
  }

  async unwrapDataKey(keyId: string, wrapped: Uint8Array): Promise<Uint8Array> {
    if (!this.readable.has(keyId)) {
      throw new DecryptionFailedError("data key", `KMS key ${JSON.stringify(keyId)} is not in the keyring`);
    }
    const cacheKey = `${keyId}\u0000${Buffer.from(wrapped).toString("base64")}`;
    const hit = this.unwrapped.use(cacheKey);
    if (hit !== undefined && this.now() - hit.at < this.maxAgeMs) return hit.plaintext;
    let pending = this.unwrapping.get(cacheKey);
    if (pending === undefined) {
      pending = this.decrypt(keyId, wrapped).finally(() => this.unwrapping.delete(cacheKey));
      this.unwrapping.set(cacheKey, pending);
    }
    const plaintext = await pending;
    this.unwrapped.set(cacheKey, { plaintext, at: this.now() });
    return plaintext;
  }

  private async kms(): Promise<{ sdk: typeof import("@aws-sdk/client-kms"); client: KmsClientLike }> {
    this.sdk ??= import("@aws-sdk/client-kms");
    const sdk = await this.sdk;
    this.client ??= new sdk.KMSClient(this.clientConfig);
    return { sdk, client: this.client };
  }

  private async generate(): Promise<DataKey> {
    let output: { Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array };
    try {
      const { sdk, client } = await this.kms();
      output = (await client.send(
        new sdk.GenerateDataKeyCommand({
          KeyId: this.currentKeyId,
          KeySpec: "AES_256",
          EncryptionContext: this.context,
        }),
      )) as typeof output;
    } catch (error) {
      throw kmsError("GenerateDataKey", this.currentKeyId, error);
    }
    const plaintext = output.Plaintext;
    const wrapped = output.CiphertextBlob;
    if (plaintext?.byteLength !== 32 || wrapped === undefined || wrapped.byteLength > 0xffff) {
      throw new UnavailableError(
        `KMS key ${JSON.stringify(this.currentKeyId)}: GenerateDataKey answered without a 32-byte key`,
      );
    }
    const key: DataKey = { keyId: this.currentKeyId, plaintext, wrapped };
    this.current = { key, createdAt: this.now(), uses: 1 };
    // Reading back what this process wrote needs no Decrypt call.
    this.unwrapped.set(`${key.keyId}\u0000${Buffer.from(wrapped).toString("base64")}`, {
      plaintext,
      at: this.now(),
    });
    return key;
  }

  private async decrypt(keyId: string, wrapped: Uint8Array): Promise<Uint8Array> {
    let output: { Plaintext?: Uint8Array };
    try {
      const { sdk, client } = await this.kms();
      output = (await client.send(
        new sdk.DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: this.context }),
      )) as typeof output;
    } catch (error) {
      throw kmsError("Decrypt", keyId, error);
    }
    if (output.Plaintext?.byteLength !== 32) {
      throw new DecryptionFailedError("data key", "KMS Decrypt answered without a 32-byte key");
    }
    return output.Plaintext;
  }
}

/** A KMS SDK error as a store error: nothing of the request (no key material) goes into the message. */
function kmsError(operation: string, keyId: string, error: unknown): StateStoreError {
  const name = (error as { name?: unknown })?.name;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode;
  const label = typeof name === "string" ? name : "error";
  switch (label) {
    case "InvalidCiphertextException":
    case "IncorrectKeyException":
      return new DecryptionFailedError(
        "data key",
        `KMS ${operation} rejected the wrapped data key (${label})`,
        {
          cause: error,
        },
      );
    case "AccessDeniedException":
      return new KeyringUnavailableError("access-denied", keyId, `KMS denied ${operation} (${label})`, error);
    case "DisabledException":
    case "NotFoundException":
    case "KMSInvalidStateException":
    case "InvalidKeyUsageException":
    case "KeyUnavailableException":
      return new KeyringUnavailableError(
        "key-unusable",
        keyId,
        `KMS ${operation}: the key cannot be used (${label})`,
        error,
      );
    case "ThrottlingException":
    case "LimitExceededException":
      return new ThrottledError(`KMS throttled ${operation} on key ${JSON.stringify(keyId)}`, {
        cause: error,
      });
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new KeyringUnavailableError(
      "access-denied",
      keyId,
      `KMS refused ${operation} (${label}, HTTP ${status})`,
      error,
    );
  }
  return new KeyringUnavailableError("unreachable", keyId, `KMS ${operation} failed (${label})`, error);
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ValidationError(field, "must be a number > 0");
  return value;
}
