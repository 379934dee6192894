/** Thrown (internally) when a DAX attempt took longer than `timeoutMs`. */
export class DaxTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`DAX did not answer within ${timeoutMs} ms`);
    this.name = "DaxTimeoutError";
  }
}

/**
 * Settles with `attempt`, or rejects with `DaxTimeoutError` after `timeoutMs`, whichever comes first. The
 * abandoned attempt's eventual rejection is swallowed so it never surfaces as an unhandled rejection.
 */
export function withTimeout<T>(attempt: Promise<T>, timeoutMs: number): Promise<T> {
  attempt.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DaxTimeoutError(timeoutMs)), timeoutMs);
  });
  return Promise.race([attempt, deadline]).finally(() => clearTimeout(timer));
}
