import { randomUUID } from "node:crypto";
import {
  type CachedResult,
  expiresAtFrom,
  hashParams,
  ItemTooLargeError,
  type Json,
  type ToolCache,
  toEpochSeconds,
  validateJson,
  validateJsonObject,
  validateToolName,
  validateTtlSeconds,
} from "@agent-state/core";
import { batchWriteAll } from "./batch.js";
import { readConsistency, type StoreContext } from "./context.js";
import { isConditionFailure, toStoreError } from "./errors.js";
import { decodeJson, encodeJson } from "./json-codec.js";
import { forEachQueryPage } from "./query-pages.js";
import { hitsSk, itemSizeBytes, MAX_ITEM_BYTES } from "./schema.js";
import { isLiveItem } from "./session-items.js";

interface ValueItem {
  pk: string;
  sk: string;
  value: string;
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
    const hash = hashParams(validateJsonObject("params", params));
    let item = await this.readValue(toolName, hash, false);
    let readStrongly = false;
    for (let attempt = 1; attempt <= HIT_ATTEMPTS; attempt++) {
      if (item === null || !isLiveItem(item, this.context.clock())) return null;
      const hitCount = await this.countHit(toolName, hash, item);
      if (hitCount !== null) {
        return {
          value: decodeJson<T>(item.value),
          hitCount,
          cachedAt: item.cachedAt,
          expiresAt: item.expiresAt,
        };
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
        if (repaired)
          return {
            value: decodeJson<T>(current.value),
            hitCount: 1,
            cachedAt: current.cachedAt,
            expiresAt: current.expiresAt,
          };
      }
      item = current;
      readStrongly = true;
    }
    return null;
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

  /** Writes the value item and a fresh counter (hit count 0) in one BatchWriteItem. */
  async set<T extends Json>(
    toolName: string,
    params: Record<string, Json>,
    value: T,
    opts: { ttlSeconds: number },
  ): Promise<void> {
    validateToolName(toolName);
    const hash = hashParams(validateJsonObject("params", params));
    const encoded = encodeJson(validateJson("value", value));
    const ttlSeconds = validateTtlSeconds("ttlSeconds", opts?.ttlSeconds);
    const { context } = this;
    const now = context.clock();
    const expiresAt = expiresAtFrom(now, ttlSeconds);
    const entryId = randomUUID();
    const valueItem: ValueItem = {
      pk: toolName,
      sk: hash,
      value: encoded,
      entryId,
      cachedAt: now,
      expiresAt,
      ttl: toEpochSeconds(expiresAt),
    };
    const size = itemSizeBytes(valueItem as unknown as Record<string, unknown>);
    if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError("toolCache.set: value", size, MAX_ITEM_BYTES);
    const counterItem = {
      pk: toolName,
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
      const hash = hashParams(validateJsonObject("params", params));
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
