import { ValidationError } from "@agent-state/core";
import type { GetSessionConfig, ListSessionsRequest } from "@google/adk";

// Input checks: a bad argument is a ValidationError before anything is read or written.

export function checkName(field: string, value: unknown): string {
  if (typeof value !== "string") throw new ValidationError(field, "must be a string");
  if (!value.isWellFormed()) throw new ValidationError(field, "has a lone surrogate");
  return value;
}

export function checkState(state: unknown): Record<string, unknown> | undefined {
  if (state === undefined || state === null) return undefined;
  if (typeof state !== "object" || Array.isArray(state)) {
    throw new ValidationError("state", "must be an object");
  }
  return state as Record<string, unknown>;
}

export function checkConfig(config: GetSessionConfig | undefined): GetSessionConfig {
  if (config === undefined) return {};
  const { numRecentEvents, afterTimestamp } = config;
  if (numRecentEvents !== undefined && !(Number.isSafeInteger(numRecentEvents) && numRecentEvents >= 0)) {
    throw new ValidationError("config.numRecentEvents", "must be a whole number ≥ 0");
  }
  if (afterTimestamp !== undefined && !Number.isFinite(afterTimestamp)) {
    throw new ValidationError("config.afterTimestamp", "must be a finite number (epoch ms)");
  }
  return config;
}

export function checkPaging(
  request: ListSessionsRequest,
): Pick<ListSessionsRequest, "limit" | "offset" | "page" | "order"> {
  const whole = (field: string, value: number | undefined, min: number) => {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new ValidationError(field, `must be a whole number ≥ ${min}`);
    }
  };
  whole("limit", request.limit, 0);
  whole("offset", request.offset, 0);
  whole("page", request.page, 1);
  if (request.page !== undefined && request.limit === undefined) {
    throw new ValidationError("page", "needs limit");
  }
  if (request.order !== undefined && request.order !== "asc" && request.order !== "desc") {
    throw new ValidationError("order", 'must be "asc" or "desc"');
  }
  const { limit, offset, page, order } = request;
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(offset !== undefined ? { offset } : {}),
    ...(page !== undefined ? { page } : {}),
    ...(order !== undefined ? { order } : {}),
  };
}
