import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  DecryptionFailedError,
  ItemTooLargeError,
  isStateStoreError,
  SessionNotFoundError,
  StateStoreError,
  type StateStoreErrorCode,
  ThrottledError,
  UnavailableError,
  ValidationError,
  VersionConflictError,
} from "../src/errors.js";

const cause = new Error("socket hang up");

const examples: [StateStoreError, StateStoreErrorCode, string][] = [
  [new ValidationError("state.a", "is bad"), "VALIDATION", "ValidationError"],
  [new SessionNotFoundError("s1"), "NOT_FOUND", "SessionNotFoundError"],
  [new AlreadyExistsError("s1"), "ALREADY_EXISTS", "AlreadyExistsError"],
  [new VersionConflictError("s1", 3, 5), "VERSION_CONFLICT", "VersionConflictError"],
  [new ItemTooLargeError("session s1", 500_000, 400_000), "ITEM_TOO_LARGE", "ItemTooLargeError"],
  [new UnavailableError("backend down", { cause }), "UNAVAILABLE", "UnavailableError"],
  [new ThrottledError("slow down", { cause }), "THROTTLED", "ThrottledError"],
  [
    new DecryptionFailedError("record k", "failed authentication"),
    "DECRYPTION_FAILED",
    "DecryptionFailedError",
  ],
];

describe("error classes", () => {
  it.each(examples)("%s has code %s and its class name", (error, code, name) => {
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toBeInstanceOf(Error);
    expect(isStateStoreError(error)).toBe(true);
    expect(isStateStoreError(error, code)).toBe(true);
    expect(typeof error.stack).toBe("string");
  });

  it("gives every class a distinct code", () => {
    expect(new Set(examples.map(([, code]) => code)).size).toBe(examples.length);
  });

  it("ValidationError carries the field and names it first in the message", () => {
    const error = new ValidationError("messages[2].role", "must be one of system, user, assistant, tool");
    expect(error.field).toBe("messages[2].role");
    expect(error.message).toBe("messages[2].role: must be one of system, user, assistant, tool");
  });

  it("SessionNotFoundError and AlreadyExistsError carry the session id", () => {
    expect(new SessionNotFoundError("abc").sessionId).toBe("abc");
    expect(new SessionNotFoundError("abc").message).toContain('"abc"');
    expect(new AlreadyExistsError("xyz").sessionId).toBe("xyz");
  });

  it("VersionConflictError carries the expected and the stored version", () => {
    const error = new VersionConflictError("s1", 3, 5);
    expect(error.sessionId).toBe("s1");
    expect(error.expectedVersion).toBe(3);
    expect(error.actualVersion).toBe(5);
    expect(error.message).toContain("expected version 3");
    expect(error.message).toContain("5");
  });

  it("ItemTooLargeError carries the sizes", () => {
    const error = new ItemTooLargeError("session s1", 500_000, 400_000);
    expect(error.sizeBytes).toBe(500_000);
    expect(error.limitBytes).toBe(400_000);
  });

  it("UnavailableError and ThrottledError keep the original error as cause", () => {
    expect(new UnavailableError("down", { cause }).cause).toBe(cause);
    expect(new ThrottledError("slow", { cause }).cause).toBe(cause);
    expect(new StateStoreError("UNAVAILABLE", "x", { cause }).cause).toBe(cause);
    expect(new UnavailableError("down").cause).toBeUndefined();
  });

  it("a subclass is not an instance of its siblings", () => {
    expect(new SessionNotFoundError("s")).not.toBeInstanceOf(ValidationError);
    expect(new ThrottledError("t")).not.toBeInstanceOf(UnavailableError);
  });
});

describe("isStateStoreError", () => {
  it("matches on code, not class: an error from another copy of the package is recognised", () => {
    // What a second copy's VersionConflictError looks like to this copy: an Error with the same code.
    class OtherCopyStateStoreError extends Error {
      readonly code = "VERSION_CONFLICT";
      readonly actualVersion = 4;
    }
    const foreign = new OtherCopyStateStoreError("conflict");
    expect(foreign).not.toBeInstanceOf(StateStoreError);
    expect(isStateStoreError(foreign)).toBe(true);
    expect(isStateStoreError(foreign, "VERSION_CONFLICT")).toBe(true);
    expect(isStateStoreError(foreign, "NOT_FOUND")).toBe(false);

    const plain = Object.assign(new Error("gone"), { code: "NOT_FOUND" });
    expect(isStateStoreError(plain, "NOT_FOUND")).toBe(true);
  });

  it("rejects errors with codes that are not state-store codes", () => {
    expect(isStateStoreError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    expect(isStateStoreError(Object.assign(new Error("x"), { code: "validation" }))).toBe(false);
    expect(isStateStoreError(Object.assign(new Error("x"), { code: 409 }))).toBe(false);
    expect(isStateStoreError(new Error("no code"))).toBe(false);
    expect(isStateStoreError(new TypeError("x"))).toBe(false);
  });

  it("rejects things that are not errors, even with a valid code", () => {
    expect(isStateStoreError({ code: "VALIDATION", message: "x" })).toBe(false);
    expect(isStateStoreError("VALIDATION")).toBe(false);
    expect(isStateStoreError(null)).toBe(false);
    expect(isStateStoreError(undefined)).toBe(false);
    expect(isStateStoreError(42)).toBe(false);
  });

  it("with a code, matches only that code", () => {
    const error = new ValidationError("x", "bad");
    expect(isStateStoreError(error, "VALIDATION")).toBe(true);
    expect(isStateStoreError(error, "UNAVAILABLE")).toBe(false);
  });
});
