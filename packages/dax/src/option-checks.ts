import { ValidationError } from "@agent-state/core";

/** A whole number ≥ 1, or a `ValidationError` naming the option. */
export function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ValidationError(field, `must be a whole number ≥ 1, got ${String(value)}`);
  }
  return value;
}

/** A finite number ≥ 0, or a `ValidationError` naming the option. */
export function nonNegative(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, `must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}
