import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../src/cursor.js";
import { ValidationError } from "../src/errors.js";
import type { Json } from "../src/types.js";

const scope = "messages\u0000s1\u0000asc";

function expectUnknownCursor(decode: () => unknown): void {
  let caught: unknown;
  try {
    decode();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).code).toBe("VALIDATION");
  expect((caught as ValidationError).field).toBe("cursor");
}

/** Splits a cursor into its payload and checksum halves. */
function halves(cursor: string): [string, string] {
  const dot = cursor.lastIndexOf(".");
  return [cursor.slice(0, dot), cursor.slice(dot + 1)];
}

describe("encodeCursor / decodeCursor", () => {
  it.each<[string, Json]>([
    ["a message id", "m000000000042"],
    ["a number", 17],
    ["null", null],
    ["a composite key", { pk: "s#1", sk: "m#00042", extra: [1, "two"] }],
    ["text with non-ASCII", "ünï 🙂 \u0000"],
  ])("round-trips %s", (_label, position) => {
    const cursor = encodeCursor(scope, position);
    expect(decodeCursor(scope, cursor)).toEqual(position);
  });

  it("is URL-safe text", () => {
    const cursor = encodeCursor(scope, { pk: "a/b+c=d?" });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it("is bound to its scope: a cursor from another listing is rejected", () => {
    const cursor = encodeCursor(scope, "m000000000042");
    expectUnknownCursor(() => decodeCursor("messages\u0000s1\u0000desc", cursor));
    expectUnknownCursor(() => decodeCursor("messages\u0000s2\u0000asc", cursor));
    expectUnknownCursor(() => decodeCursor("", cursor));
  });

  it("rejects an edited payload", () => {
    const [, checksum] = halves(encodeCursor(scope, "m000000000042"));
    const forged = Buffer.from(JSON.stringify("m000000000001"), "utf8").toString("base64url");
    expectUnknownCursor(() => decodeCursor(scope, `${forged}.${checksum}`));
  });

  it("rejects an edited checksum", () => {
    const [payload, checksum] = halves(encodeCursor(scope, "m000000000042"));
    const flipped = (checksum[0] === "A" ? "B" : "A") + checksum.slice(1);
    expectUnknownCursor(() => decodeCursor(scope, `${payload}.${flipped}`));
    expectUnknownCursor(() => decodeCursor(scope, `${payload}.${checksum.slice(1)}`));
    expectUnknownCursor(() => decodeCursor(scope, `${payload}.`));
    expectUnknownCursor(() => decodeCursor(scope, payload));
  });

  it("rejects a payload whose checksum matches but which is not JSON", () => {
    // Built with the same checksum recipe to reach the parse step: a cursor can only hold what encode wrote.
    const payload = "{not json";
    const checksum = createHash("sha256")
      .update(scope)
      .update("\u0000")
      .update(payload)
      .digest("base64url")
      .slice(0, 16);
    const cursor = `${Buffer.from(payload, "utf8").toString("base64url")}.${checksum}`;
    expectUnknownCursor(() => decodeCursor(scope, cursor));
  });

  it.each<[string, unknown]>([
    ["the empty string", ""],
    ["a word", "garbage"],
    ["a lone dot", "."],
    ["a leading dot", ".abc"],
    ["two dots", "a.b.c"],
    ["base64 noise", "eyJ4IjoxfQ.AAAAAAAAAAAAAAAA"],
    ["an over-long string", `${"a".repeat(9000)}.b`],
    ["a number", 42],
    ["null", null],
    ["undefined", undefined],
    ["an object", { cursor: "x" }],
  ])("rejects %s as a ValidationError with code VALIDATION", (_label, garbage) => {
    expectUnknownCursor(() => decodeCursor(scope, garbage));
  });
});
