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
    const edits: Change[] = Object.entries(checked).map(([name, value]) => [name, JSON.stringify(value)]);
    return this.write("preferences.set", userId, agentId, key, "set", edits, ttlSeconds);
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
    const edits: Change[] = Object.entries(checked).map(([name, value]) => [
      name,
      value === undefined ? undefined : JSON.stringify(value),
    ]);
    return this.write("preferences.patch", userId, agentId, key, "patch", edits, ttlSeconds);
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
    changes: Change[],
    ttlSeconds: number,
  ): Promise<Preferences> {
    const now = this.context.options.clock();
    const expiresAt = expiresAtFrom(now, ttlSeconds);
    const maxValueBytes = LIMITS.maxValueBytes + limitAllowanceBytes();
    const args = [
      String(now),
      String(expiresAt),
      String(physicalTtlMs(expiresAt, now)),
      mode,
      String(maxValueBytes),
    ];
    // Per change: op, key, value JSON and the UTF-8 bytes of the key's JSON.
    for (const [name, json] of changes) {
      args.push(json === undefined ? "d" : "s", name, json ?? "", String(jsonStringBytes(name)));
    }
    const reply = (await guarded(operation, () =>
      WRITE_PREFERENCES.run(this.context.client, [key], args),
    )) as unknown[];
    // The merged record would be over the limit: the script wrote nothing.
    if (reply[0] === "__too_large" && reply.length === 2) {
      throw new ItemTooLargeError("values", Number(reply[1]), maxValueBytes);
    }
    // The reply: the live record's fields before this write (none for a set or a new record), then the new
    // version. The record now is those values with these changes applied.
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const field = String(reply[i]);
      if (field.startsWith("v:")) values.set(field.slice(2), String(reply[i + 1]));
    }
    for (const [name, json] of changes) {
      if (json === undefined) values.delete(name);
      else values.set(name, json);
    }
    return {
      userId,
      agentId,
      // fromEntries defines own properties, so a preference named "__proto__" stays a plain key.
      values: Object.fromEntries([...values].map(([name, json]) => [name, JSON.parse(json) as Json])),
      version: Number(reply[reply.length - 1]),
      updatedAt: now,
      expiresAt,
    };
  }
}

/** One change: a key and its value's JSON, or undefined to remove the key. */
type Change = [name: string, json: string | undefined];

/** The UTF-8 bytes of `name` as a JSON string (quotes and escapes included). */
function jsonStringBytes(name: string): number {
  return Buffer.byteLength(JSON.stringify(name), "utf8");
}
