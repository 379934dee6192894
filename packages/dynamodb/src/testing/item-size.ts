import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";

const TYPE_KEYS = new Set(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]);

/** An item in AttributeValue form, whichever form it came in (document-client commands carry plain values). */
export function toAttributeMap(item: Record<string, unknown>): Record<string, AttributeValue> {
  const marshalled = Object.values(item).every(
    (value) =>
      typeof value === "object" &&
      value !== null &&
      Object.keys(value).length === 1 &&
      TYPE_KEYS.has(Object.keys(value)[0] ?? ""),
  );
  return marshalled
    ? (item as Record<string, AttributeValue>)
    : marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true });
}

/** An item's size as DynamoDB computes it for billing (names + values; numbers ~1 byte per 2 digits + 1). */
export function attributeMapBytes(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name, "utf8") + valueBytes(value);
  return size;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, "utf8");
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, "utf8"), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.M !== undefined) return 3 + attributeMapBytes(value.M) + Object.keys(value.M).length;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + valueBytes(v) + 1, 0);
  return 0;
}

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, "").replace(/e.*$/i, "").replace(".", "").replace(/^0+/, "").length;
  return Math.ceil(digits / 2) + 1;
}

/** Write units for an item of this size: 1 per started KB. */
export function writeUnitsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}
