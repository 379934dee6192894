import {
  expiresAtFrom,
  ItemTooLargeError,
  type Json,
  type PreferenceStore,
  type Preferences,
  toEpochSeconds,
  UnavailableError,
  validateId,
  validateJsonObject,
  validateOptionalTtl,
  validatePreferenceChanges,
} from "@agent-state/core";
import { readConsistency, type StoreContext } from "./context.js";
import { isConditionFailure, toStoreError } from "./errors.js";
import { decodeJson, encodeJson } from "./json-codec.js";
import { itemSizeBytes, MAX_ITEM_BYTES, PREFERENCE_KEY_PREFIX } from "./schema.js";
import { isLiveItem } from "./session-items.js";

/** Stored record: each value is JSON text under a prefixed key (empty keys are not allowed in expressions). */
interface PreferencesItem {
  pk: string;
  sk: string;
  values: Record<string, string>;
  version: number;
  updatedAt: number;
  expiresAt: number;
  ttl: number;
}

const WRITE_ATTEMPTS = 10;

/**
 * Preferences keyed pk = userId, sk = agentId (two key attributes, so no separator can make two pairs
 * collide). `patch` is one UpdateItem with a `SET #values.#k = :v` / `REMOVE` per key, so concurrent
 * patches of different keys all survive; a missing or expired record is created by a conditional Put.
 */
export class DynamoPreferences implements PreferenceStore {
  constructor(private readonly context: StoreContext) {}

  /** The live record (through the reader), or null. */
  async get(userId: string, agentId: string): Promise<Preferences | null> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const { context } = this;
    try {
      const output = await context.reader.get({
        TableName: context.tables.preferences,
        Key: { pk: userId, sk: agentId },
        ...readConsistency(context),
      });
      const item = output.Item as PreferencesItem | undefined;
      return item !== undefined && isLiveItem(item, context.clock()) ? toPreferences(item) : null;
    } catch (error) {
      throw toStoreError(error, "preferences.get");
    }
  }

  /** Replaces all values (version + 1, or 1 for a new record) and slides expiry. */
  async set(
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const encoded = encodeValues(validateJsonObject("values", values));
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.context.preferencesTtlSeconds;
    checkSize(encoded);
    return this.write(userId, agentId, ttlSeconds, encoded, {
      expression: "SET #values = :values",
      names: { "#values": "values" },
      values: { ":values": encoded },
    });
  }

  /** Merges per key (`undefined` removes one), creating the record if absent, and slides expiry. */
  async patch(
    userId: string,
    agentId: string,
    changes: Record<string, Json | undefined>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const valid = validatePreferenceChanges(changes);
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.context.preferencesTtlSeconds;
    const sets: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = { "#values": "values" };
    const values: Record<string, unknown> = {};
    const fresh: Record<string, string> = {};
    Object.entries(valid).forEach(([key, value], i) => {
      names[`#k${i}`] = PREFERENCE_KEY_PREFIX + key;
      if (value === undefined) removes.push(`#values.#k${i}`);
      else {
        const text = encodeJson(value);
        sets.push(`#values.#k${i} = :v${i}`);
        values[`:v${i}`] = text;
        fresh[PREFERENCE_KEY_PREFIX + key] = text;
      }
    });
    checkSize(fresh);
    const expression = [
      sets.length > 0 ? `SET ${sets.join(", ")}` : "",
      removes.length > 0 ? `REMOVE ${removes.join(", ")}` : "",
    ].join(" ");
    return this.write(userId, agentId, ttlSeconds, fresh, { expression, names, values });
  }

  /** Removes the record; false when there was no live one. */
  async delete(userId: string, agentId: string): Promise<boolean> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const { context } = this;
    try {
      const output = await context.writer.delete({
        TableName: context.tables.preferences,
        Key: { pk: userId, sk: agentId },
        ReturnValues: "ALL_OLD",
      });
      return isLiveItem(output.Attributes, context.clock());
    } catch (error) {
      throw toStoreError(error, "preferences.delete");
    }
  }

  /**
   * Updates a live record with `change` (plus version, updatedAt and expiry in the same UpdateItem), or,
   * when there is none, creates it with `initial` by a Put conditioned on there still being none.
   */
  private async write(
    userId: string,
    agentId: string,
    ttlSeconds: number,
    initial: Record<string, string>,
    change: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
  ): Promise<Preferences> {
    const { context } = this;
    const table = context.tables.preferences;
    const key = { pk: userId, sk: agentId };
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const now = context.clock();
      const expiresAt = expiresAtFrom(now, ttlSeconds);
      const bookkeeping =
        "#version = #version + :one, #updatedAt = :now, #expiresAt = :expiresAt, #ttl = :ttl";
      const expression = change.expression.startsWith("SET ")
        ? `SET ${bookkeeping}, ${change.expression.slice(4)}`
        : `SET ${bookkeeping} ${change.expression}`;
      try {
        const output = await context.writer.update({
          TableName: table,
          Key: key,
          UpdateExpression: expression.trim(),
          ConditionExpression: "attribute_exists(#pk) AND #expiresAt > :now",
          ExpressionAttributeNames: {
            ...change.names,
            "#pk": "pk",
            "#version": "version",
            "#updatedAt": "updatedAt",
            "#expiresAt": "expiresAt",
            "#ttl": "ttl",
          },
          ExpressionAttributeValues: {
            ...change.values,
            ":one": 1,
            ":now": now,
            ":expiresAt": expiresAt,
            ":ttl": toEpochSeconds(expiresAt),
          },
          ReturnValues: "ALL_NEW",
        });
        return toPreferences(output.Attributes as PreferencesItem);
      } catch (error) {
        if (!isConditionFailure(error)) throw toStoreError(error, "preferences.write");
      }
      const item: PreferencesItem = {
        ...key,
        values: initial,
        version: 1,
        updatedAt: now,
        expiresAt,
        ttl: toEpochSeconds(expiresAt),
      };
      try {
        await context.writer.put({
          TableName: table,
          Item: item,
          ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt <= :now",
          ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
          ExpressionAttributeValues: { ":now": now },
        });
        return toPreferences(item);
      } catch (error) {
        // Someone else created it in between: go round and update theirs.
        if (!isConditionFailure(error)) throw toStoreError(error, "preferences.write");
      }
    }
    throw new UnavailableError(`preferences: gave up after ${WRITE_ATTEMPTS} contended attempts`);
  }
}

function encodeValues(values: Record<string, Json>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) out[PREFERENCE_KEY_PREFIX + key] = encodeJson(value);
  return out;
}

function checkSize(values: Record<string, string>): void {
  const size = itemSizeBytes({ values }) + 4 * 1024;
  if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError("preferences", size, MAX_ITEM_BYTES);
}

function toPreferences(item: PreferencesItem): Preferences {
  const values: Record<string, Json> = {};
  for (const [key, text] of Object.entries(item.values ?? {})) {
    // defineProperty, not assignment: a key named "__proto__" must stay a value, not become the prototype.
    Object.defineProperty(values, key.slice(PREFERENCE_KEY_PREFIX.length), {
      value: decodeJson(text),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    userId: item.pk,
    agentId: item.sk,
    values,
    version: item.version,
    updatedAt: item.updatedAt,
    expiresAt: item.expiresAt,
  };
}
