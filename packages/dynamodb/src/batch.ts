import { ThrottledError } from "@agent-state/core";
import type { BatchWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DynamoReader, DynamoWriter } from "./client.js";
import { toStoreError } from "./errors.js";

type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

/** DynamoDB's limit of items in one BatchWriteItem. */
export const BATCH_WRITE_MAX_ITEMS = 25;

/** Bounded exponential backoff with full jitter for unprocessed batch items. */
export const BATCH_RETRY = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 1_000 } as const;

/**
 * Writes (puts or deletes) `requests` to one table in batches of 25, resending `UnprocessedItems` with
 * exponential backoff and jitter until all are done; throws `ThrottledError` if some are still unprocessed
 * after `BATCH_RETRY.maxAttempts` tries. Batches are not atomic: callers only use this where a partial
 * write is harmless (deletes, and the cache's value + counter pair).
 */
export async function batchWriteAll(
  client: DynamoWriter,
  table: string,
  requests: WriteRequest[],
  operation: string,
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_MAX_ITEMS) {
    let pending: WriteRequest[] = requests.slice(start, start + BATCH_WRITE_MAX_ITEMS);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_RETRY.maxAttempts) {
        throw new ThrottledError(
          `${operation}: ${pending.length} items still unprocessed after ${BATCH_RETRY.maxAttempts} attempts`,
        );
      }
      if (attempt > 1) await sleep(backoffDelayMs(attempt - 1));
      let output: Awaited<ReturnType<DynamoWriter["batchWrite"]>>;
      try {
        output = await client.batchWrite({ RequestItems: { [table]: pending } });
      } catch (error) {
        throw toStoreError(error, operation);
      }
      pending = output.UnprocessedItems?.[table] ?? [];
    }
  }
}

/** Full jitter: a random delay up to base · 2^(retry-1), capped. */
export function backoffDelayMs(retry: number): number {
  const ceiling = Math.min(BATCH_RETRY.maxDelayMs, BATCH_RETRY.baseDelayMs * 2 ** (retry - 1));
  return Math.random() * ceiling;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** DynamoDB's limit of keys in one BatchGetItem. */
export const BATCH_GET_MAX_KEYS = 100;

/**
 * Reads `keys` from one table in batches of 100, resending `UnprocessedKeys` with exponential backoff and
 * jitter; throws `ThrottledError` if some are still unprocessed after `BATCH_RETRY.maxAttempts` tries.
 * Returns the items found, in no particular order.
 */
export async function batchGetAll(
  client: DynamoReader,
  table: string,
  keys: Array<Record<string, unknown>>,
  consistent: boolean,
  operation: string,
): Promise<Array<Record<string, unknown>>> {
  const found: Array<Record<string, unknown>> = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_MAX_KEYS) {
    let pending = keys.slice(start, start + BATCH_GET_MAX_KEYS);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_RETRY.maxAttempts) {
        throw new ThrottledError(
          `${operation}: ${pending.length} keys still unprocessed after ${BATCH_RETRY.maxAttempts} attempts`,
        );
      }
      if (attempt > 1) await sleep(backoffDelayMs(attempt - 1));
      let output: Awaited<ReturnType<DynamoReader["batchGet"]>>;
      try {
        output = await client.batchGet({
          RequestItems: { [table]: { Keys: pending, ...(consistent ? { ConsistentRead: true } : {}) } },
        });
      } catch (error) {
        throw toStoreError(error, operation);
      }
      found.push(...(output.Responses?.[table] ?? []));
      pending = output.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return found;
}
