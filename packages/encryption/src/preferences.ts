import {
  type Json,
  type PreferenceStore,
  type Preferences,
  setOwn,
  validateId,
  validateJsonObject,
  validatePreferenceChanges,
  withLimitAllowance,
} from "@agent-state/core";
import type { ValueKey } from "./envelope.js";
import type { ValueCrypto } from "./value-crypto.js";

/**
 * Preferences with each value sealed on its own, bound to the user, the agent and the preference's name, so
 * that `patch` still merges key by key in the inner store (concurrent patches of different keys both
 * survive). Preference names stay clear.
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
    const valid = validateJsonObject("values", values);
    const { sealed, extraBytes } = this.sealAll(await this.crypto.newKey(), userId, agentId, valid);
    const record = await withLimitAllowance(extraBytes, () =>
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
    const { sealed, extraBytes } = this.sealAll(await this.crypto.newKey(), userId, agentId, valid);
    const record = await withLimitAllowance(extraBytes, () =>
      this.inner.patch(userId, agentId, sealed, opts),
    );
    return this.open(record);
  }

  delete(userId: string, agentId: string): Promise<boolean> {
    return this.inner.delete(userId, agentId);
  }

  private sealAll(
    key: ValueKey,
    userId: string,
    agentId: string,
    values: Record<string, Json | undefined>,
  ): { sealed: Record<string, Json | undefined>; extraBytes: number } {
    const sealed: Record<string, Json | undefined> = {};
    let extraBytes = 0;
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) {
        setOwn(sealed, name, undefined);
        continue;
      }
      const text = this.crypto.sealJson(key, preferenceContext(userId, agentId, name), value);
      extraBytes += Math.max(0, text.length + 2 - Buffer.byteLength(JSON.stringify(value)));
      setOwn(sealed, name, text);
    }
    return { sealed, extraBytes };
  }

  private async open(record: Preferences): Promise<Preferences> {
    const values: Record<string, Json> = {};
    for (const [name, value] of Object.entries(record.values)) {
      const what = `preference ${JSON.stringify(name)} of user ${JSON.stringify(record.userId)} and agent ${JSON.stringify(record.agentId)}`;
      setOwn(
        values,
        name,
        await this.crypto.openJson(what, preferenceContext(record.userId, record.agentId, name), value),
      );
    }
    return { ...record, values };
  }
}

function preferenceContext(userId: string, agentId: string, name: string): string[] {
  return ["preference", userId, agentId, name];
}
