import {
  ItemTooLargeError,
  isStateStoreError,
  type StateStoreError,
  ThrottledError,
  UnavailableError,
} from "@agent-state/core";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { MAX_ITEM_BYTES } from "./schema.js";

type Item = Record<string, unknown>;

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  Item?: Record<string, unknown>;
  CancellationReasons?: CancellationReason[];
  /** DAX's spelling (its errors carry the DynamoDB exception name in `code`, and `name` is "Error"). */
  cancellationReasons?: CancellationReason[];
}

interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown> | null;
}

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "ThrottlingError",
  "ProvisionedThroughputExceeded",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
]);
const NETWORK_NAMES = new Set(["TimeoutError", "RequestTimeout", "AbortError", "NetworkingError"]);

function shape(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

/** The DynamoDB exception name: `name` from the AWS SDK, `code` from the DAX client (whose `name` is "Error"). */
function exceptionName(s: SdkErrorShape): string {
  if (s.name !== undefined && s.name !== "Error") return s.name;
  return typeof s.code === "string" ? s.code : (s.name ?? "");
}

/** True when a single-item conditional write failed its condition (whichever client sent it). */
/**
 * True when DynamoDB certainly did not apply the write that failed with `error`: a typed answer such as a
 * failed condition, a validation or a throttle. False for an unknown outcome (`UNAVAILABLE`: a timeout or
 * a lost reply, after which the write may have landed) and anything untyped. Chunks written ahead of a
 * head may only be deleted in the first case: deleting them after a head that did land loses the value.
 */
export function certainlyNotWritten(error: unknown): boolean {
  return isStateStoreError(error) && error.code !== "UNAVAILABLE";
}

export function isConditionFailure(error: unknown): boolean {
  return exceptionName(shape(error)) === "ConditionalCheckFailedException";
}

/**
 * The item as it was when the condition failed (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), or null
 * (no item, or a client that does not return it: DAX does not for single-item writes).
 */
export function conditionFailureItem(error: unknown): Item | null {
  return normalizeItem(shape(error).Item);
}

/** Per-item reasons of a cancelled transaction, with the old item of each failed condition unmarshalled. */
export function cancellationReasons(error: unknown): Array<{ code: string; item: Item | null }> | null {
  const s = shape(error);
  const reasons = s.CancellationReasons ?? s.cancellationReasons;
  if (exceptionName(s) !== "TransactionCanceledException" && !Array.isArray(s.cancellationReasons))
    return null;
  if (!Array.isArray(reasons)) return null;
  return reasons.map((reason) => ({
    code: reason.Code ?? "None",
    item: normalizeItem(reason.Item),
  }));
}

/** The service returns failure items marshalled (`{ S: "…" }`); lib-dynamodb does not convert them. */
function normalizeItem(item: Record<string, unknown> | null | undefined): Item | null {
  if (item === undefined || item === null || Object.keys(item).length === 0) return null;
  const looksMarshalled = Object.values(item).every(
    (value) => typeof value === "object" && value !== null && Object.keys(value).length === 1,
  );
  return looksMarshalled ? unmarshall(item as Record<string, AttributeValue>) : item;
}

/** Maps anything thrown by the SDK to a state-store error with the original as `cause`. */
export function toStoreError(error: unknown, operation: string): StateStoreError {
  if (isStateStoreError(error)) return error;
  const s = shape(error);
  const name = exceptionName(s);
  const message = s.message ?? String(error);
  if (THROTTLING.has(name))
    return new ThrottledError(`DynamoDB throttled ${operation}: ${message}`, { cause: error });
  if (name === "TransactionCanceledException") {
    const codes = (s.CancellationReasons ?? s.cancellationReasons ?? []).map((r) => r.Code ?? "");
    if (codes.some((code) => THROTTLING.has(code))) {
      return new ThrottledError(`DynamoDB throttled ${operation}: ${message}`, { cause: error });
    }
  }
  if (
    name === "ValidationException" &&
    /item size|size of an item|transaction request cannot be larger/i.test(message)
  ) {
    return new ItemTooLargeError(operation, MAX_ITEM_BYTES + 1, MAX_ITEM_BYTES);
  }
  if (name === "ResourceNotFoundException") {
    return new UnavailableError(`DynamoDB ${operation}: table not found (run createTables): ${message}`, {
      cause: error,
    });
  }
  if (NETWORK_NAMES.has(name) || (s.code !== undefined && NETWORK_CODES.has(s.code))) {
    return new UnavailableError(`DynamoDB unreachable during ${operation}: ${message}`, { cause: error });
  }
  return new UnavailableError(`DynamoDB ${operation} failed: ${name} ${message}`.trim(), { cause: error });
}

/** Runs one backend call, mapping SDK errors (state-store errors pass through unchanged). */
export async function guarded<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

/** Connection codes meaning no connection was ever made, so the request cannot have reached DynamoDB. */
const NEVER_CONNECTED_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * True when the error says the region itself is failing (no connection, a timeout, a reset, a 5xx), as
 * opposed to an answer about the request (a failed condition, validation, throttling, a missing table).
 */
export function isRegionFailure(error: unknown): boolean {
  if (isStateStoreError(error)) return false;
  const s = shape(error);
  const name = exceptionName(s);
  if (THROTTLING.has(name)) return false;
  if (NETWORK_NAMES.has(name) || (s.code !== undefined && NETWORK_CODES.has(s.code))) return true;
  if (s.code !== undefined && NEVER_CONNECTED_CODES.has(s.code)) return true;
  const status = s.$metadata?.httpStatusCode;
  return (
    (status !== undefined && status >= 500) || name === "InternalServerError" || name === "ServiceUnavailable"
  );
}

/** True when this one attempt certainly never reached DynamoDB (no connection was made). */
export function neverConnected(error: unknown): boolean {
  const s = shape(error);
  if (s.code !== undefined && NEVER_CONNECTED_CODES.has(s.code)) return true;
  return /without establishing a connection/i.test(s.message ?? "");
}
