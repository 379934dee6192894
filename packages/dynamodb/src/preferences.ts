import { randomUUID } from "node:crypto";
import {
  expiresAtFrom,
  isStateStoreError,
  type Json,
  mergePreferenceValues,
  type PreferenceStore,
  type Preferences,
  toEpochSeconds,
  UnavailableError,
  validateId,
  validateOptionalTtl,
  validatePreferenceChanges,
  validatePreferenceValues,
} from "@agent-state/core";
import { strongGet } from "./condition-failure.js";
import { readConsistency, type StoreContext } from "./context.js";
import { conditionFailureItem, isConditionFailure, toStoreError } from "./errors.js";
import { decodeJson, encodeJson } from "./json-codec.js";
import type { ValueAttributes } from "./large-values.js";
import {
  type ChunkPlace,
  dropChunksOf,
  isPacked,
  packJson,
  unpackJson,
  writePackedChunks,
} from "./packed-json.js";
import { itemSizeBytes, MAX_ITEM_BYTES, PREFERENCE_KEY_PREFIX, preferenceChunkBase } from "./schema.js";
import { isLiveItem } from "./session-items.js";

/**
 * Stored record. Map form: each value is JSON text under a prefixed key in `values` (empty keys are not allowed
 * in expressions), patched key by key. Packed form, for records too large for one item: the JSON of all values,
 * packed (`v`, or chunks `vid`/`vn`; see packed-json.ts), rewritten whole under a version condition.
 */
interface PreferencesItem extends ValueAttributes {
  pk: string;
  sk: string;
  values?: Record<string, string>;
  version: number;
  updatedAt: number;
  expiresAt: number;
  ttl: number;
}

const WRITE_ATTEMPTS = 10;
/** Room in an item for everything but the values map (ids, version, times). */
const ITEM_OVERHEAD_BYTES = 4 * 1024;
/** Attributes only a packed record has: the map-form fast path requires both absent. */
const NOT_PACKED = "attribute_not_exists(#v) AND attribute_not_exists(#vid)";

type Change = { expression: string; names: Record<string, string>; values: Record<string, unknown> };

/**
 * Preferences keyed pk = userId, sk = agentId (two key attributes, so no separator can make two pairs
 * collide). In map form `patch` is one UpdateItem with a `SET #values.#k = :v` / `REMOVE` per key, so concurrent
 * patches of different keys all survive; a missing or expired record is created by a conditional Put. A record
 * too large for one item (up to `LIMITS.maxValueBytes`) is kept packed and rewritten whole by read, merge and a
 * Put conditioned on the version read (retried on conflict, so concurrent patches still all survive); its
 * chunks are written before the Put and the replaced ones removed after it.
 */
export class DynamoPreferences implements PreferenceStore {
  constructor(private readonly context: StoreContext) {}

  /** The live record (through the reader), or null. */
  async get(userId: string, agentId: string): Promise<Preferences | null> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const { context } = this;
    let item: PreferencesItem | undefined;
    try {
      const output = await context.reader.get({
        TableName: context.tables.preferences,
        Key: { pk: userId, sk: agentId },
        ...readConsistency(context),
      });
      item = output.Item as PreferencesItem | undefined;
    } catch (error) {
      throw toStoreError(error, "preferences.get");
    }
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      if (item === undefined || !isLiveItem(item, context.clock())) return null;
      const values = await this.valuesOf(item, "preferences.get");
      if (values !== null) return toPreferences(item, values);
      // Its chunks were replaced since it was read: read it again.
      item = ((await this.readStrongly(userId, agentId, "preferences.get")) ?? undefined) as
        | PreferencesItem
        | undefined;
    }
    throw new UnavailableError("preferences.get: the record kept changing while it was read");
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
    const valid = validatePreferenceValues(values);
    const ttlSeconds = validateOptionalTtl("ttlSeconds", opts) ?? this.context.preferencesTtlSeconds;
    const encoded = encodeValues(valid);
    const rewrite = () => this.rewrite(userId, agentId, ttlSeconds, () => valid);
    if (!fitsOneItem(encoded)) return rewrite();
    return this.write(userId, agentId, ttlSeconds, encoded, rewrite, {
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
    const rewrite = () =>
      this.rewrite(userId, agentId, ttlSeconds, (current) => mergePreferenceValues(current, valid));
    if (!fitsOneItem(fresh)) return rewrite();
    const expression = [
      sets.length > 0 ? `SET ${sets.join(", ")}` : "",
      removes.length > 0 ? `REMOVE ${removes.join(", ")}` : "",
    ].join(" ");
    return this.write(userId, agentId, ttlSeconds, fresh, rewrite, { expression, names, values });
  }

  /** Removes the record (and a packed one's chunks); false when there was no live one. */
  async delete(userId: string, agentId: string): Promise<boolean> {
    validateId("userId", userId);
    validateId("agentId", agentId);
    const { context } = this;
    let old: PreferencesItem | undefined;
    try {
      const output = await context.writer.delete({
        TableName: context.tables.preferences,
        Key: { pk: userId, sk: agentId },
        ReturnValues: "ALL_OLD",
      });
      old = output.Attributes as PreferencesItem | undefined;
    } catch (error) {
      throw toStoreError(error, "preferences.delete");
    }
    if (old !== undefined) await dropChunksOf(context, context.tables.preferences, chunkPlace(old), old);
    return isLiveItem(old, context.clock());
  }

  /**
   * Map form: updates a live, unpacked record with `change` (plus version, updatedAt and expiry in the same
   * UpdateItem), or, when there is none, creates it with `initial` by a Put conditioned on there still being
   * none. A packed record, or one the change would take past one item, goes to `rewrite`.
   */
  private async write(
    userId: string,
    agentId: string,
    ttlSeconds: number,
    initial: Record<string, string>,
    rewrite: () => Promise<Preferences>,
    change: Change,
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
          ConditionExpression: `attribute_exists(#pk) AND #expiresAt > :now AND ${NOT_PACKED}`,
          ExpressionAttributeNames: {
            ...change.names,
            "#pk": "pk",
            "#version": "version",
            "#updatedAt": "updatedAt",
            "#expiresAt": "expiresAt",
            "#ttl": "ttl",
            "#v": "v",
            "#vid": "vid",
          },
          ExpressionAttributeValues: {
            ...change.values,
            ":one": 1,
            ":now": now,
            ":expiresAt": expiresAt,
            ":ttl": toEpochSeconds(expiresAt),
          },
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        });
        const item = output.Attributes as PreferencesItem;
        return toPreferences(item, decodeMap(item.values ?? {}));
      } catch (error) {
        // The record would outgrow one item: it becomes packed.
        const storeError = toStoreError(error, "preferences.write");
        if (isStateStoreError(storeError, "ITEM_TOO_LARGE")) return rewrite();
        if (!isConditionFailure(error)) throw storeError;
        // A live packed record takes a rewrite; none (or one the writer did not return): try to create it.
        const old = conditionFailureItem(error);
        if (old !== null && isLiveItem(old, now) && isPacked(old)) return rewrite();
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
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        });
        return toPreferences(item, decodeMap(initial));
      } catch (error) {
        if (!isConditionFailure(error)) throw toStoreError(error, "preferences.write");
        // A live record is there: packed ones take a rewrite; else someone created it in between, so go round
        // and update theirs.
        const old = (conditionFailureItem(error) ??
          (await this.readStrongly(userId, agentId, "preferences.write"))) as Record<string, unknown> | null;
        if (old !== null && isLiveItem(old, now) && isPacked(old)) return rewrite();
      }
    }
    throw new UnavailableError(`preferences: gave up after ${WRITE_ATTEMPTS} contended attempts`);
  }

  /**
   * Rewrites the record whole: reads it strongly, computes the new values from the current ones (which may throw
   * `ItemTooLargeError`: nothing written), and Puts it (map form when it fits one item, else packed with its
   * chunks written first) conditioned on the version read; retried on conflict. The replaced record's chunks
   * are removed after the Put; a failed Put removes its own.
   */
  private async rewrite(
    userId: string,
    agentId: string,
    ttlSeconds: number,
    compute: (current: Record<string, Json>) => Record<string, Json>,
  ): Promise<Preferences> {
    const { context } = this;
    const table = context.tables.preferences;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const old = (await this.readStrongly(userId, agentId, "preferences.write")) as PreferencesItem | null;
      const now = context.clock();
      const live = old !== null && isLiveItem(old, now);
      const current = live ? await this.valuesOf(old, "preferences.write") : {};
      if (current === null) continue;
      const next = compute(current);
      const expiresAt = expiresAtFrom(now, ttlSeconds);
      const head: PreferencesItem = {
        pk: userId,
        sk: agentId,
        version: live ? old.version + 1 : 1,
        updatedAt: now,
        expiresAt,
        ttl: toEpochSeconds(expiresAt),
      };
      const encoded = encodeValues(next);
      let chunks: ValueAttributes = {};
      if (fitsOneItem(encoded)) head.values = encoded;
      else {
        const place = chunkPlace(head);
        const packed = await packJson(encodeJson(next), place, randomUUID());
        await writePackedChunks(context, table, packed, "preferences.write");
        Object.assign(head, packed.attributes);
        chunks = packed.attributes ?? {};
      }
      try {
        await context.writer.put({
          TableName: table,
          Item: head,
          ConditionExpression: old === null ? "attribute_not_exists(#pk)" : "#version = :version",
          ExpressionAttributeNames: old === null ? { "#pk": "pk" } : { "#version": "version" },
          ...(old === null ? {} : { ExpressionAttributeValues: { ":version": old.version } }),
        });
      } catch (error) {
        await dropChunksOf(context, table, chunkPlace(head), chunks);
        if (!isConditionFailure(error)) throw toStoreError(error, "preferences.write");
        continue;
      }
      if (old !== null) await dropChunksOf(context, table, chunkPlace(old), old);
      return toPreferences(head, next);
    }
    throw new UnavailableError(`preferences: gave up after ${WRITE_ATTEMPTS} contended attempts`);
  }

  /** The values of a record: its map, or its packed JSON; null when a chunk is gone (replaced since read). */
  private async valuesOf(item: PreferencesItem, operation: string): Promise<Record<string, Json> | null> {
    if (!isPacked(item as unknown as Record<string, unknown>)) return decodeMap(item.values ?? {});
    const json = await unpackJson(
      this.context,
      this.context.tables.preferences,
      item as unknown as Record<string, unknown>,
      chunkPlace(item),
      operation,
    );
    return json === null ? null : decodeJson<Record<string, Json>>(json);
  }

  private async readStrongly(userId: string, agentId: string, operation: string) {
    return (await strongGet(
      this.context,
      this.context.tables.preferences,
      { pk: userId, sk: agentId },
      operation,
    )) as PreferencesItem | null;
  }
}

/** Where a record's chunks live: the user's partition, keyed by agent and write id, expiring with the record. */
function chunkPlace(item: Pick<PreferencesItem, "pk" | "sk" | "ttl">): ChunkPlace {
  return { pk: item.pk, chunkBase: (writeId) => preferenceChunkBase(item.sk, writeId), ttl: item.ttl };
}

/** True when a values map fits one item with the record's other attributes. */
function fitsOneItem(values: Record<string, string>): boolean {
  return itemSizeBytes({ values }) + ITEM_OVERHEAD_BYTES <= MAX_ITEM_BYTES;
}

function encodeValues(values: Record<string, Json>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) out[PREFERENCE_KEY_PREFIX + key] = encodeJson(value);
  return out;
}

/** A map-form values map decoded (keys defined, never assigned: "__proto__" stays a key). */
function decodeMap(map: Record<string, string>): Record<string, Json> {
  const values: Record<string, Json> = {};
  for (const [key, text] of Object.entries(map)) {
    Object.defineProperty(values, key.slice(PREFERENCE_KEY_PREFIX.length), {
      value: decodeJson(text),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return values;
}

function toPreferences(item: PreferencesItem, values: Record<string, Json>): Preferences {
  return {
    userId: item.pk,
    agentId: item.sk,
    values,
    version: item.version,
    updatedAt: item.updatedAt,
    expiresAt: item.expiresAt,
  };
}
