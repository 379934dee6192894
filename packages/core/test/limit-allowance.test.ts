import { describe, expect, it } from "vitest";
import {
  LIMITS,
  limitAllowanceBytes,
  parseRecordWrite,
  validateMessages,
  withLimitAllowance,
} from "../src/index.js";

const max = LIMITS.maxRecordValueBytes;

describe("withLimitAllowance", () => {
  it("raises the size checks by exactly its bytes, for the calls inside it only", async () => {
    const over = new Uint8Array(max + 10);
    expect(() => parseRecordWrite("s", [{ put: "k", value: over }], undefined)).toThrow(
      expect.objectContaining({ code: "ITEM_TOO_LARGE" }),
    );
    await withLimitAllowance(10, async () => {
      await Promise.resolve(); // still inside after an await
      expect(limitAllowanceBytes()).toBe(10);
      expect(parseRecordWrite("s", [{ put: "k", value: over }], undefined).ops).toHaveLength(1);
      expect(() => parseRecordWrite("s", [{ put: "k", value: new Uint8Array(max + 11) }], undefined)).toThrow(
        expect.objectContaining({ code: "ITEM_TOO_LARGE" }),
      );
      const content = "x".repeat(LIMITS.maxMessageBytes + 10);
      expect(validateMessages({ role: "user", content })).toHaveLength(1);
    });
    expect(limitAllowanceBytes()).toBe(0);
    expect(() => validateMessages({ role: "user", content: "x".repeat(LIMITS.maxMessageBytes + 1) })).toThrow(
      expect.objectContaining({ code: "ITEM_TOO_LARGE" }),
    );
  });

  it("concurrent calls each see their own allowance", async () => {
    const seen = await Promise.all(
      [1, 2, 3].map((bytes) =>
        withLimitAllowance(bytes, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5 - bytes));
          return limitAllowanceBytes();
        }),
      ),
    );
    expect(seen).toEqual([1, 2, 3]);
  });

  it("rejects a negative or fractional allowance", () => {
    expect(() => withLimitAllowance(-1, async () => 0)).toThrow(RangeError);
    expect(() => withLimitAllowance(1.5, async () => 0)).toThrow(RangeError);
  });
});
