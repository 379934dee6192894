import {
  expiresAtFrom,
  isExpired,
  type Json,
  mergePreferenceValues,
  type PreferenceStore,
  type Preferences,
  type ResolvedCommonOptions,
  validateId,
  validateOptionalTtl,
  validatePreferenceChanges,
  validatePreferenceValues,
} from "@agent-state/core";

/** Preference records keyed by the JSON of [userId, agentId], which no two distinct pairs share. */
export class MemoryPreferenceStore implements PreferenceStore {
  private readonly records = new Map<string, Preferences>();

  constructor(private readonly options: ResolvedCommonOptions) {}

  async get(userId: string, agentId: string): Promise<Preferences | null> {
    const record = this.live(keyOf(userId, agentId), this.options.clock());
    return record ? structuredClone(record) : null;
  }

  async set(
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    const key = keyOf(userId, agentId);
    const valid = validatePreferenceValues(values);
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.options.ttlSeconds.preferences;
    const now = this.options.clock();
    const previous = this.live(key, now);
    return this.write(key, userId, agentId, structuredClone(valid), previous, now, ttlSeconds);
  }

  async patch(
    userId: string,
    agentId: string,
    changes: Record<string, Json | undefined>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    const key = keyOf(userId, agentId);
    const valid = validatePreferenceChanges(changes);
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.options.ttlSeconds.preferences;
    const now = this.options.clock();
    const previous = this.live(key, now);
    // Merged by defining keys, never assigning: a "__proto__" key stays a value. Over the limit: nothing written.
    const values = structuredClone(mergePreferenceValues(previous?.values ?? {}, valid));
    return this.write(key, userId, agentId, values, previous, now, ttlSeconds);
  }

  async delete(userId: string, agentId: string): Promise<boolean> {
    const key = keyOf(userId, agentId);
    const wasLive = this.live(key, this.options.clock()) !== null;
    this.records.delete(key);
    return wasLive;
  }

  sweep(now: number): void {
    for (const [key, record] of this.records) if (isExpired(record.expiresAt, now)) this.records.delete(key);
  }

  clear(): void {
    this.records.clear();
  }

  private write(
    key: string,
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    previous: Preferences | null,
    now: number,
    ttlSeconds: number,
  ): Preferences {
    const record: Preferences = {
      userId,
      agentId,
      values,
      version: (previous?.version ?? 0) + 1,
      updatedAt: now,
      expiresAt: expiresAtFrom(now, ttlSeconds),
    };
    this.records.set(key, record);
    return structuredClone(record);
  }

  private live(key: string, now: number): Preferences | null {
    const record = this.records.get(key);
    if (!record) return null;
    if (!isExpired(record.expiresAt, now)) return record;
    this.records.delete(key);
    return null;
  }
}

function keyOf(userId: string, agentId: string): string {
  return JSON.stringify([validateId("userId", userId), validateId("agentId", agentId)]);
}
