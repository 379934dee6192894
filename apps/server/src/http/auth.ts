import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Compares two secrets in time independent of where they differ (and of their lengths, by hashing first). */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Resolves bearer tokens to user ids. Every configured token is compared (in constant time) on each lookup,
 * so the time taken does not reveal which, or how much of, a token matched.
 */
export class TokenDirectory {
  private readonly entries: { digest: Buffer; userId: string }[];

  constructor(tokens: ReadonlyMap<string, string>) {
    this.entries = [...tokens].map(([token, userId]) => ({ digest: digest(token), userId }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The user the token belongs to, or undefined. */
  userFor(token: string | undefined): string | undefined {
    if (token === undefined) return undefined;
    const given = digest(token);
    let found: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(given, entry.digest) && found === undefined) found = entry.userId;
    }
    return found;
  }
}
