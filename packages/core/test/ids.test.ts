import { describe, expect, it } from "vitest";
import {
  createSortableIdGenerator,
  newSessionId,
  parseSequenceMessageId,
  sequenceMessageId,
  sequenceMessageIdOfDigits,
} from "../src/ids.js";

const LARGEST_SEQUENCE = 10 ** 12 - 1;
const CROCKFORD_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The millisecond time in the first 10 characters of a sortable id. */
function timeOf(id: string): number {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + alphabet.indexOf(char);
  return time;
}

describe("sequenceMessageId", () => {
  it("zero-pads to a fixed width", () => {
    expect(sequenceMessageId(1)).toBe("m000000000001");
    expect(sequenceMessageId(42)).toBe("m000000000042");
    expect(sequenceMessageId(LARGEST_SEQUENCE)).toBe("m999999999999");
  });

  it("sorts as plain strings in numeric order up to 10^12 - 1", () => {
    const sequences = [1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 65_535, 1_000_000, 2 ** 31, 2 ** 32 + 1];
    for (let power = 1; power <= 12; power++) sequences.push(10 ** power - 1);
    for (let i = 0; i < 2000; i++) sequences.push(1 + Math.floor(Math.random() * LARGEST_SEQUENCE));
    const numeric = [...new Set(sequences)].sort((a, b) => a - b);
    const ids = numeric.map(sequenceMessageId);
    expect([...ids].sort()).toEqual(ids);
  });

  it("refuses sequences it cannot write in order (0, negatives, fractions, 10^12 and up)", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, LARGEST_SEQUENCE + 1, Number.MAX_SAFE_INTEGER]) {
      expect(() => sequenceMessageId(bad)).toThrow(RangeError);
    }
  });
});

describe("sequenceMessageIdOfDigits", () => {
  it("is sequenceMessageId of the number the digits write", () => {
    for (let power = 0; power <= 12; power++) {
      for (const n of [
        10 ** power - 1,
        10 ** power,
        10 ** power + 1,
        Math.floor(Math.random() * 10 ** power),
      ]) {
        if (n < 1 || n > LARGEST_SEQUENCE) continue;
        expect(sequenceMessageIdOfDigits(String(n))).toBe(sequenceMessageId(n));
      }
    }
    // Digits it does not pad itself go through sequenceMessageId: leading zeros are the same number.
    expect(sequenceMessageIdOfDigits("007")).toBe("m000000000007");
  });

  it("refuses what sequenceMessageId refuses", () => {
    for (const bad of ["", "0", "-1", "1.5", "x", String(LARGEST_SEQUENCE + 1), "1e3x"]) {
      expect(() => sequenceMessageIdOfDigits(bad)).toThrow(RangeError);
    }
  });
});

describe("parseSequenceMessageId", () => {
  it("round-trips every id sequenceMessageId makes", () => {
    for (const n of [1, 7, 10, 123_456, 10 ** 9, LARGEST_SEQUENCE]) {
      expect(parseSequenceMessageId(sequenceMessageId(n))).toBe(n);
    }
  });

  it.each([
    ["zero", "m000000000000"],
    ["the empty string", ""],
    ["a bare m", "m"],
    ["a wrong prefix", "x000000000001"],
    ["an upper-case prefix", "M000000000001"],
    ["one digit short", "m00000000001"],
    ["one digit long", "m0000000000001"],
    ["a letter", "m00000000000a"],
    ["a sign", "m+00000000001"],
    ["a minus", "m-00000000001"],
    ["a leading space", "m 00000000001"],
    ["a trailing space", "m00000000001 "],
    ["an exponent", "m0000000001e1"],
    ["a hex literal", "m0x0000000001"],
    ["a decimal point", "m00000000001."],
    ["a fraction", "m0000000001.5"],
    ["a ULID", "01ARZ3NDEKTSV4RRFFQ69G5FAV"],
  ])("returns null for %s", (_label, id) => {
    expect(parseSequenceMessageId(id)).toBeNull();
  });
});

describe("createSortableIdGenerator", () => {
  it("makes 26-character Crockford base32 ids whose first 10 characters are the time", () => {
    const next = createSortableIdGenerator(() => 1_700_000_000_123);
    const id = next();
    expect(id).toMatch(CROCKFORD_ID);
    expect(timeOf(id)).toBe(1_700_000_000_123);
  });

  it("is strictly increasing across 10,000 ids in the same millisecond", () => {
    const next = createSortableIdGenerator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 10_000 }, next);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("stays strictly increasing when the clock steps back, then resumes the real time", () => {
    const times = [5_000, 5_001, 4_000, 3_000, 5_001, 4_999, 6_000, 6_000];
    let call = 0;
    const next = createSortableIdGenerator(() => times[call++] ?? 7_000);
    const ids = Array.from({ length: times.length + 1 }, next);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    // While the clock is behind, ids keep the last time seen; once it passes that, they carry the new time.
    expect(ids.slice(0, 6).map(timeOf)).toEqual([5_000, 5_001, 5_001, 5_001, 5_001, 5_001]);
    expect(timeOf(ids[6]!)).toBe(6_000);
    expect(timeOf(ids[8]!)).toBe(7_000);
  });

  it("treats fractional and negative clock readings sensibly", () => {
    const next = createSortableIdGenerator(() => -5.7);
    expect(timeOf(next())).toBe(0);
    const fractional = createSortableIdGenerator(() => 1234.9);
    expect(timeOf(fractional())).toBe(1234);
  });

  it("gives two generators running at once unique ids", () => {
    const clock = () => 1_700_000_000_000;
    const a = createSortableIdGenerator(clock);
    const b = createSortableIdGenerator(clock);
    const ids = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      ids.add(a());
      ids.add(b());
    }
    expect(ids.size).toBe(10_000);
  });

  it("uses the real clock by default", () => {
    const before = Date.now();
    const id = createSortableIdGenerator()();
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now());
  });
});

describe("newSessionId", () => {
  it("makes distinct UUID v4 strings", () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
