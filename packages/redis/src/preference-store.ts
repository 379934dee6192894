import {
  expiresAtFrom,
  ItemTooLargeError,
  type Json,
  LIMITS,
  limitAllowanceBytes,
  type PreferenceStore,
  type Preferences,
  validateId,
  validateOptionalTtl,
  validatePreferenceChanges,
  validatePreferenceValues,
} from "@agent-state/core";
import { send } from "./client.js";
import { fieldsOf, preferencesFromFields } from "./codec.js";
import type { StoreContext } from "./context.js";
import { guarded } from "./errors.js";
import { physicalTtlMs } from "./expiry.js";
import { DELETE_PREFERENCES, WRITE_PREFERENCES } from "./scripts/preference-scripts.js";

/** One hash per (user, agent) under the user's hash tag; each write is one script. */
export class RedisPreferenceStore implements PreferenceStore {
  constructor(private readonly context: StoreContext) {}

  /** The live record, or null. */
  async get(userId: string, agentId: string): Promise<Preferences | null> {
    const key = this.key(userId, agentId);
    const now = this.context.options.clock();
    const reply = await guarded("preferences.get", () => send(this.context.client, "HGETALL", [key]));
    return preferencesFromFields(userId, agentId, fieldsOf(reply), now);
  }

  /** Replaces all values (version +1, or 1 for a new record) and slides expiry. */
  async set(
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    const key = this.key(userId, agentId);
    const checked = validatePreferenceValues(values);
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.context.options.ttlSeconds.preferences;
    const triples = Object.entries(checked).flatMap(([name, value]) =>
      entry("s", name, JSON.stringify(value)),
    );
    return this.write("preferences.set", userId, agentId, key, "set", triples, ttlSeconds);
  }

  /** Merges per key (`undefined` removes the key), creating the record if absent; one script. */
  async patch(
    userId: string,
    agentId: string,
    changes: Record<string, Json | undefined>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    const key = this.key(userId, agentId);
    const checked = validatePreferenceChanges(changes);
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.context.options.ttlSeconds.preferences;
    const triples = Object.entries(checked).flatMap(([name, value]) =>
      value === undefined ? entry("d", name, "") : entry("s", name, JSON.stringify(value)),
    );
    return this.write("preferences.patch", userId, agentId, key, "patch", triples, ttlSeconds);
  }

  /** Removes the record; false when there was no live record. */
  async delete(userId: string, agentId: string): Promise<boolean> {
    const key = this.key(userId, agentId);
    const now = this.context.options.clock();
    const reply = await guarded("preferences.delete", () =>
      DELETE_PREFERENCES.run(this.context.client, [key], [String(now)]),
    );
    return Number(reply) === 1;
  }

  private key(userId: string, agentId: string): string {
    return this.context.keys.preferences(validateId("userId", userId), validateId("agentId", agentId));
  }

  private async write(
    operation: string,
    userId: string,
    agentId: string,
    key: string,
    mode: "set" | "patch",
    triples: string[],
    ttlSeconds: number,
  ): Promise<Preferences> {
    const now = this.context.options.clock();
    const expiresAt = expiresAtFrom(now, ttlSeconds);
    const maxValueBytes = LIMITS.maxValueBytes + limitAllowanceBytes();
    const reply = await guarded(operation, () =>
      WRITE_PREFERENCES.run(
        this.context.client,
        [key],
        [
          String(now),
          String(expiresAt),
          String(physicalTtlMs(expiresAt, now)),
          mode,
          String(maxValueBytes),
          ...triples,
        ],
      ),
    );
    // The merged record would be over the limit: the script wrote nothing.
    if (Array.isArray(reply) && reply[0] === "__too_large") {
      throw new ItemTooLargeError("values", Number(reply[1]), maxValueBytes);
    }
    const preferences = preferencesFromFields(userId, agentId, fieldsOf(reply), now);
    if (!preferences) throw new Error(`${operation}: the record just written is missing`);
    return preferences;
  }
}

/** One change for the write script: op, key, value JSON and the UTF-8 bytes of the key's JSON. */
function entry(op: "s" | "d", name: string, valueJson: string): string[] {
  return [op, name, valueJson, String(Buffer.byteLength(JSON.stringify(name), "utf8"))];
}
