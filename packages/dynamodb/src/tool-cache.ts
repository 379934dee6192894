import { randomUUID } from "node:crypto";
import {
  type CachedResult,
  checkedParamsHash,
  expiresAtFrom,
  hashParams,
  type Json,
  parseToolCacheSet,
  type ToolCache,
  toEpochSeconds,
  validateToolName,
} from "@agent-state/core";
import { batchWriteAll } from "./batch.js";
import { readConsistency, type StoreContext } from "./context.js";
import { isConditionFailure, toStoreError } from "./errors.js";
import { decodeJson, encodeJson } from "./json-codec.js";
import type { ValueAttributes } from "./large-values.js";
import { type ChunkPlace, isPacked, packJson, unpackJson, writePackedChunks } from "./packed-json.js";
import { forEachQueryPage } from "./query-pages.js";
import { cacheChunkBase, hitsSk } from "./schema.js";
import { isLiveItem } from "./session-items.js";

/** A cached value: its JSON text (`value`) under 4 KB, else packed (`v`, or chunks `vid`/`vn`; see packed-json.ts). */
interface ValueItem extends ValueAttributes {
  pk: string;
  sk: string;
  value?: string;
  /** Identifies one `set`; the counter item carries the same id so a hit never counts for a replaced entry. */
  entryId: string;
  cachedAt: number;
  expiresAt: number;
  ttl: number;
}

const NAMES = { "#entryId": "entryId", "#expiresAt": "expiresAt", "#hitCount": "hitCount" };
const HIT_ATTEMPTS = 4;

/**
 * Tool results keyed by tool name (partition) and parameter hash (sort key). The hit count lives in a small
 * separate counter item, so a hit costs one read of the value plus a 1 WCU ADD, never a rewrite of the value.
 */
export class DynamoToolCache implements ToolCache {
  constructor(private readonly context: StoreContext) {}

  /**
   * The live entry, counting the hit atomically: GetItem of the value (through the reader), then one
   * UpdateItem `ADD hitCount` on its counter, conditioned on the counter belonging to that entry.
   */
  async get<T extends Json>(toolName: string, params: Record<string, Json>): Promise<CachedResult<T> | null> {
    validateToolName(toolName);
    const hash = checkedParamsHash(params);
    let item = await this.readValue(toolName, hash, false);
    let readStrongly = false;
    for (let attempt = 1; attempt <= HIT_ATTEMPTS; attempt++) {
      if (item === null || !isLiveItem(item, this.context.clock())) return null;
      const hitCount = await this.countHit(toolName, hash, item);
      if (hitCount !== null) {
        const value = await this.valueOf<T>(toolName, hash, item);
        return value === null
          ? null
          : { value: value.json, hitCount, cachedAt: item.cachedAt, expiresAt: item.expiresAt };
      }
      // The counter belongs to another entry: the value was replaced or removed since our read (or the reader
      // is stale), or a `set` wrote its value but not its counter (two sets racing, or a crash between them).
      const current = await this.readValue(toolName, hash, true);
      if (
        readStrongly &&
        current !== null &&
        current.entryId === item.entryId &&
        isLiveItem(current, this.context.clock())
      ) {
        const repaired = await this.restartCounter(toolName, hash, current);
        if (repaired) {
          const value = await this.valueOf<T>(toolName, hash, current);
          return value === null
            ? null
            : { value: value.json, hitCount: 1, cachedAt: current.cachedAt, expiresAt: current.expiresAt };
        }
      }
      item = current;
      readStrongly = true;
    }
    return null;
  }

  /**
   * The value of an entry: its text, or its packed payload (inline or chunked). Null when a chunk is gone: the
   * tool's entries were invalidated since the entry was read (a replaced entry's chunks stay until its ttl).
   */
  private async valueOf<T extends Json>(
    toolName: string,
    hash: string,
    item: ValueItem,
  ): Promise<{ json: T } | null> {
    if (!isPacked(item as unknown as Record<string, unknown>))
      return { json: decodeJson<T>(item.value ?? "null") };
    const json = await unpackJson(
      this.context,
      this.context.tables.toolCache,
      item as unknown as Record<string, unknown>,
      chunkPlace(toolName, hash, item.ttl),
      "toolCache.get",
    );
    return json === null ? null : { json: decodeJson<T>(json) };
  }

  /** Adds 1 to the entry's counter; null when the counter is not this entry's. */
  private async countHit(toolName: string, hash: string, item: ValueItem): Promise<number | null> {
    const { context } = this;
    try {
      const output = await context.writer.update({
        TableName: context.tables.toolCache,
        Key: { pk: toolName, sk: hitsSk(hash) },
        UpdateExpression: "ADD #hitCount :one",
        ConditionExpression: "#entryId = :entryId AND #expiresAt > :now",
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ":one": 1, ":entryId": item.entryId, ":now": context.clock() },
        ReturnValues: "UPDATED_NEW",
      });
      return Number(output.Attributes?.hitCount);
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw toStoreError(error, "toolCache.get");
    }
  }

  /** Gives a live entry whose counter is missing or another entry's a counter of its own, at 1 hit. */
  private async restartCounter(toolName: string, hash: string, item: ValueItem): Promise<boolean> {
    const { context } = this;
    try {
      await context.writer.update({
        TableName: context.tables.toolCache,
        Key: { pk: toolName, sk: hitsSk(hash) },
        UpdateExpression: "SET #entryId = :entryId, #hitCount = :one, #expiresAt = :expiresAt, #ttl = :ttl",
        ConditionExpression: "attribute_not_exists(#entryId) OR #entryId <> :entryId",
        ExpressionAttributeNames: { ...NAMES, "#ttl": "ttl" },
        ExpressionAttributeValues: {
          ":entryId": item.entryId,
          ":one": 1,
          ":expiresAt": item.expiresAt,
          ":ttl": item.ttl,
        },
      });
      return true;
    } catch (error) {
      // Another caller restarted it first: count on it like any hit.
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, "toolCache.get");
    }
  }

  /**
   * Writes the value item and a fresh counter (hit count 0) in one BatchWriteItem. A value of 4 KB or more is
   * packed (see packed-json.ts); its chunks, if any, are written first, expire with the entry, and stay until
   * then when the entry is replaced or invalidated (no extra request to find them).
   */
  async set<T extends Json>(
    toolName: string,
    params: Record<string, Json>,
    value: T,
    opts: { ttlSeconds: number },
  ): Promise<void> {
    const checked = parseToolCacheSet(toolName, params, value, opts);
    const hash = hashParams(checked.params);
    const { context } = this;
    const now = context.clock();
    const expiresAt = expiresAtFrom(now, checked.ttlSeconds);
    const entryId = randomUUID();
    const ttl = toEpochSeconds(expiresAt);
    const packed = await packJson(
      encodeJson(checked.value),
      chunkPlace(checked.toolName, hash, ttl),
      entryId,
    );
    await writePackedChunks(context, context.tables.toolCache, packed, "toolCache.set");
    const valueItem: ValueItem = {
      pk: checked.toolName,
      sk: hash,
      ...(packed.text !== undefined ? { value: packed.text } : packed.attributes),
      entryId,
      cachedAt: now,
      expiresAt,
      ttl,
    };
    const counterItem = {
      pk: checked.toolName,
      sk: hitsSk(hash),
      entryId,
      hitCount: 0,
      expiresAt,
      ttl: valueItem.ttl,
    };
    await batchWriteAll(
      context.writer,
      context.tables.toolCache,
      [{ PutRequest: { Item: valueItem } }, { PutRequest: { Item: counterItem } }],
      "toolCache.set",
    );
  }

  /** One entry (one BatchWriteItem), or every entry of the tool: a Query of its partition plus batched deletes. */
  async invalidate(toolName: string, params?: Record<string, Json>): Promise<void> {
    validateToolName(toolName);
    const { context } = this;
    const table = context.tables.toolCache;
    if (params !== undefined) {
      const hash = checkedParamsHash(params);
      const keys = [hash, hitsSk(hash)].map((sk) => ({ DeleteRequest: { Key: { pk: toolName, sk } } }));
      await batchWriteAll(context.writer, table, keys, "toolCache.invalidate");
      return;
    }
    await forEachQueryPage(
      context.main,
      {
        TableName: table,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: { ":pk": toolName },
        ProjectionExpression: "#sk",
        ConsistentRead: true,
      },
      "toolCache.invalidate",
      async (items) => {
        const deletes = items.map((item) => ({ DeleteRequest: { Key: { pk: toolName, sk: item.sk } } }));
        await batchWriteAll(context.writer, table, deletes, "toolCache.invalidate");
      },
    );
  }

  private async readValue(toolName: string, hash: string, strongly: boolean): Promise<ValueItem | null> {
    const { context } = this;
    const consistency = strongly ? { ConsistentRead: true as const } : readConsistency(context);
    try {
      const request = {
        TableName: context.tables.toolCache,
        Key: { pk: toolName, sk: hash },
        ...consistency,
      };
      const output = strongly ? await context.main.get(request) : await context.reader.get(request);
      return (output.Item as ValueItem | undefined) ?? null;
    } catch (error) {
      throw toStoreError(error, "toolCache.get");
    }
  }
}

/** Where an entry's chunks live: the tool's partition, keyed by params hash and entry id, expiring with it. */
function chunkPlace(toolName: string, hash: string, ttl: number): ChunkPlace {
  return { pk: toolName, chunkBase: (entryId) => cacheChunkBase(hash, entryId), ttl };
}
