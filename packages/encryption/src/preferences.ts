import {
  checkValueSize,
  ItemTooLargeError,
  isStateStoreError,
  type Json,
  jsonBytes,
  LIMITS,
  limitAllowanceBytes,
  type PreferenceStore,
  type Preferences,
  setOwn,
  validateId,
  validateJsonObject,
  validatePreferenceChanges,
  withLimitAllowance,
} from "@agent-state/core";
import { isCompressed, type ValueKey } from "./envelope.js";
import type { ValueCrypto } from "./value-crypto.js";

/**
 * How many times a patch of a record near the limit reads the record and tries again when the inner store
 * refuses it because other keys grew in between (each refusal means another write got through).
 */
const NEAR_LIMIT_ATTEMPTS = 3;

/** The sizes of one preference value as `LIMITS.maxValueBytes` measures a record: its JSON's UTF-8 bytes. */
interface Sizes {
  /** The caller's value. */
  plainBytes: number;
  /** The value as the inner store keeps it (the sealed text as a JSON string). */
  storedBytes: number;
}

/**
 * Preferences with each value sealed on its own, bound to the user, the agent and the preference's name, so
 * that `patch` still merges key by key in the inner store (concurrent patches of different keys both
 * survive). Preference names stay clear.
 *
 * `LIMITS.maxValueBytes` applies to the plaintext record. Preference values are sealed without compression,
 * so every stored value is longer than its JSON (its ciphertext is exactly as long as the JSON, plus header,
 * tag and base64): a merged record the inner store accepts under its own limit is within the plaintext limit.
 * That is the common case and costs nothing. When the inner store refuses a patch, the record may be near the
 * limit: the decorator reads it, measures the merged plaintext from the stored ciphertexts' lengths (nothing
 * is decrypted) and, when it fits, patches with an allowance that lets exactly that merged record through
 * (see the README, "Limits and sizes", for what concurrent patches can do there).
 */
export class EncryptedPreferences implements PreferenceStore {
  constructor(
    private readonly inner: PreferenceStore,
    private readonly crypto: ValueCrypto,
  ) {}

  async get(userId: string, agentId: string): Promise<Preferences | null> {
    const record = await this.inner.get(userId, agentId);
    return record === null ? null : this.open(record);
  }

  async set(
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const valid = checkValueSize("values", validateJsonObject("values", values));
    const { sealed, sizes } = this.sealAll(await this.crypto.newKey(), userId, agentId, valid);
    // The stored record is longer than the plaintext by exactly the values' overheads (names are the same).
    let overheadBytes = 0;
    for (const { plainBytes, storedBytes } of sizes.values()) overheadBytes += storedBytes - plainBytes;
    const record = await withLimitAllowance(limitAllowanceBytes() + overheadBytes, () =>
      this.inner.set(userId, agentId, sealed as Record<string, Json>, opts),
    );
    return { ...record, values: valid };
  }

  async patch(
    userId: string,
    agentId: string,
    changes: Record<string, Json | undefined>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const valid = validatePreferenceChanges(changes);
    const { sealed, sizes } = this.sealAll(await this.crypto.newKey(), userId, agentId, valid);
    let record: Preferences;
    try {
      // Stored values are longer than their plaintext: what fits the inner limit fits the plaintext one.
      record = await this.inner.patch(userId, agentId, sealed, opts);
    } catch (error) {
      if (!isStateStoreError(error, "ITEM_TOO_LARGE")) throw error;
      record = await this.patchNearLimit(userId, agentId, sealed, sizes, opts);
    }
    return this.open(record);
  }

  delete(userId: string, agentId: string): Promise<boolean> {
    return this.inner.delete(userId, agentId);
  }

  /**
   * A patch the inner store refused at its own limit: reads the record, measures the merged plaintext, and
   * either throws `ItemTooLargeError` (nothing written) or patches with an allowance that admits the merged
   * record as read (a concurrent write that grew the stored record makes the inner store refuse: read again).
   */
  private async patchNearLimit(
    userId: string,
    agentId: string,
    sealed: Record<string, Json | undefined>,
    sizes: Map<string, Sizes>,
    opts: { ttlSeconds?: number } | undefined,
  ): Promise<Preferences> {
    const outerAllowance = limitAllowanceBytes();
    const maxBytes = LIMITS.maxValueBytes + outerAllowance;
    for (let attempt = 1; ; attempt++) {
      const current = await this.inner.get(userId, agentId);
      const merged = new Map<string, Sizes>();
      for (const [name, stored] of Object.entries(current?.values ?? {})) {
        if (Object.hasOwn(sealed, name)) continue;
        merged.set(name, {
          plainBytes: await this.plainBytes(userId, agentId, name, stored),
          storedBytes: jsonBytes(stored),
        });
      }
      for (const [name, size] of sizes) merged.set(name, size);
      const plainBytes = recordBytes(merged, "plainBytes");
      if (plainBytes > maxBytes) throw new ItemTooLargeError("values", plainBytes, maxBytes);
      const allowance = Math.max(outerAllowance, recordBytes(merged, "storedBytes") - LIMITS.maxValueBytes);
      try {
        return await withLimitAllowance(allowance, () => this.inner.patch(userId, agentId, sealed, opts));
      } catch (error) {
        if (!isStateStoreError(error, "ITEM_TOO_LARGE") || attempt >= NEAR_LIMIT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The bytes of a stored value's plaintext JSON: its ciphertext's length (sealed without compression), the
   * decrypted length of a compressed one (written before preference values stopped being compressed), or the
   * JSON of a value that is not a ciphertext (legacy plaintext).
   */
  private async plainBytes(userId: string, agentId: string, name: string, stored: Json): Promise<number> {
    const parsed = this.crypto.parseText(stored);
    if (parsed === null) return jsonBytes(stored);
    if (!isCompressed(parsed)) return parsed.ciphertext.byteLength;
    const context = preferenceContext(userId, agentId, name);
    return (await this.crypto.openParsed(describe(userId, agentId, name), context, parsed)).byteLength;
  }

  private sealAll(
    key: ValueKey,
    userId: string,
    agentId: string,
    values: Record<string, Json | undefined>,
  ): { sealed: Record<string, Json | undefined>; sizes: Map<string, Sizes> } {
    const sealed: Record<string, Json | undefined> = {};
    const sizes = new Map<string, Sizes>();
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) {
        setOwn(sealed, name, undefined);
        continue;
      }
      const context = preferenceContext(userId, agentId, name);
      const text = this.crypto.sealJson(key, context, value, { compress: false });
      sizes.set(name, { plainBytes: jsonBytes(value), storedBytes: text.length + 2 });
      setOwn(sealed, name, text);
    }
    return { sealed, sizes };
  }

  private async open(record: Preferences): Promise<Preferences> {
    const values: Record<string, Json> = {};
    for (const [name, value] of Object.entries(record.values)) {
      const context = preferenceContext(record.userId, record.agentId, name);
      setOwn(
        values,
        name,
        await this.crypto.openJson(describe(record.userId, record.agentId, name), context, value),
      );
    }
    return { ...record, values };
  }
}

function preferenceContext(userId: string, agentId: string, name: string): string[] {
  return ["preference", userId, agentId, name];
}

function describe(userId: string, agentId: string, name: string): string {
  return `preference ${JSON.stringify(name)} of user ${JSON.stringify(userId)} and agent ${JSON.stringify(agentId)}`;
}

/** The bytes of `{"name":value,...}` from each entry's value size, as `LIMITS.maxValueBytes` measures it. */
function recordBytes(entries: Map<string, Sizes>, which: keyof Sizes): number {
  let bytes = 2 + Math.max(entries.size - 1, 0);
  for (const [name, size] of entries)
    bytes += Buffer.byteLength(JSON.stringify(name), "utf8") + 1 + size[which];
  return bytes;
}
