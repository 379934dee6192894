import { BoundedMap, DecryptionFailedError, isStateStoreError, type Json } from "@agent-state/core";
import {
  deriveValueKey,
  openEnvelope,
  type ParsedEnvelope,
  parseEnvelope,
  seal,
  type ValueKey,
} from "./envelope.js";
import type { Keyring } from "./keyring.js";

/** How many derived value keys one store remembers (unwrapping and deriving costs more than decrypting). */
const VALUE_KEYS_CACHED = 10_000;

/** What a value stored as text starts with (messages' content, state, cached results, preference values). */
export const TEXT_PREFIX = "ase1:";

/** How `withEncryption` treats stored values that are not ciphertexts of its format. */
export type LegacyPlaintext = "refuse" | "read";

/** Encrypts and decrypts single values with keys from a keyring; one per encrypted store. */
export class ValueCrypto {
  private readonly valueKeys = new BoundedMap<string, ValueKey>(VALUE_KEYS_CACHED);

  constructor(
    readonly keyring: Keyring,
    readonly compress: boolean,
    readonly legacyPlaintext: LegacyPlaintext,
  ) {}

  /** A key for a new value: a data key from the keyring and a fresh salt. */
  async newKey(): Promise<ValueKey> {
    return deriveValueKey(await this.keyring.generateDataKey());
  }

  /** The key a stored value was written with (remembered: hot values are read again and again). */
  async keyOf(what: string, parsed: ParsedEnvelope): Promise<ValueKey> {
    const id = `${parsed.keyId}\u0000${parsed.wrapped.toString("base64")}\u0000${parsed.salt.toString("base64")}`;
    const known = this.valueKeys.use(id);
    if (known !== undefined) return known;
    const key = await this.unwrapAndDerive(what, parsed);
    this.valueKeys.set(id, key);
    return key;
  }

  private async unwrapAndDerive(what: string, parsed: ParsedEnvelope): Promise<ValueKey> {
    let plaintext: Uint8Array;
    try {
      plaintext = await this.keyring.unwrapDataKey(parsed.keyId, parsed.wrapped);
    } catch (error) {
      if (isStateStoreError(error, "DECRYPTION_FAILED")) {
        throw new DecryptionFailedError(what, error.message, { cause: error });
      }
      throw error;
    }
    return deriveValueKey({ keyId: parsed.keyId, plaintext, wrapped: parsed.wrapped }, parsed.salt);
  }

  seal(
    key: ValueKey,
    context: readonly string[],
    plaintext: Uint8Array,
    iv?: Buffer,
    compress: boolean = this.compress,
  ): Buffer {
    return seal(key, context, plaintext, { compress, iv });
  }

  sealText(
    key: ValueKey,
    context: readonly string[],
    plaintext: Uint8Array,
    iv?: Buffer,
    compress: boolean = this.compress,
  ): string {
    return TEXT_PREFIX + this.seal(key, context, plaintext, iv, compress).toString("base64url");
  }

  /** Decrypts bytes; `DecryptionFailedError` (naming `what`) when they are not a ciphertext of this place. */
  async open(what: string, context: readonly string[], bytes: Uint8Array): Promise<Buffer> {
    const parsed = parseEnvelope(bytes);
    if (parsed === null)
      throw new DecryptionFailedError(what, "is not an encrypted value (plaintext refused)");
    return this.openParsed(what, context, parsed);
  }

  async openParsed(what: string, context: readonly string[], parsed: ParsedEnvelope): Promise<Buffer> {
    return this.openWith(what, context, parsed, await this.keyOf(what, parsed));
  }

  /** Decrypts with a key already unwrapped (by `keyOf` for this envelope). */
  openWith(what: string, context: readonly string[], parsed: ParsedEnvelope, key: ValueKey): Buffer {
    try {
      return openEnvelope(parsed, key.aesKey, context);
    } catch (cause) {
      throw new DecryptionFailedError(what, "failed authentication (tampered, or moved from another place)", {
        cause,
      });
    }
  }

  /** The envelope inside a text value, or null when `text` is not one. */
  parseText(text: unknown): ParsedEnvelope | null {
    if (typeof text !== "string" || !text.startsWith(TEXT_PREFIX)) return null;
    return parseEnvelope(Buffer.from(text.slice(TEXT_PREFIX.length), "base64url"));
  }

  async openText(what: string, context: readonly string[], text: unknown): Promise<Buffer> {
    const parsed = this.parseText(text);
    if (parsed === null)
      throw new DecryptionFailedError(what, "is not an encrypted value (plaintext refused)");
    return this.openParsed(what, context, parsed);
  }

  /** A JSON value stored as text: decrypted, or (in migration mode) returned as it is when it is plaintext. */
  async openJson(what: string, context: readonly string[], stored: Json): Promise<Json> {
    if (this.legacyPlaintext === "read" && !isText(stored)) return stored;
    return decodeJson(await this.openText(what, context, stored));
  }

  /** `compress: false` keeps the ciphertext exactly as long as the value's JSON (preference values). */
  sealJson(key: ValueKey, context: readonly string[], value: Json, options?: { compress?: boolean }): string {
    return this.sealText(key, context, encodeJson(value), undefined, options?.compress ?? this.compress);
  }
}

function isText(value: Json): boolean {
  return typeof value === "string" && value.startsWith(TEXT_PREFIX);
}

export function encodeJson(value: Json): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

export function decodeJson(bytes: Buffer): Json {
  return JSON.parse(bytes.toString("utf8")) as Json;
}
