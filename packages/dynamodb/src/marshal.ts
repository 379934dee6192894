import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * The store's own conversion between its items (plain JS values) and DynamoDB attribute values, used when
 * it sends low-level commands itself (see client.ts). It covers what the store writes: strings, numbers,
 * booleans, null, bytes, lists and maps; a member that is `undefined` is left out (lib-dynamodb's
 * `removeUndefinedValues`). Anything else is a bug in the store and throws a TypeError.
 */

export type Item = Record<string, unknown>;
export type AttributeMap = Record<string, AttributeValue>;

export function toAttribute(value: unknown): AttributeValue {
  switch (typeof value) {
    case "string":
      return { S: value };
    case "number":
      if (!Number.isFinite(value))
        throw new TypeError(`internal: ${value} cannot be stored as a DynamoDB number`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new TypeError(`internal: ${value} is not a safe integer; DynamoDB would store another number`);
      }
      return { N: String(value) };
    case "bigint":
      return { N: value.toString() };
    case "boolean":
      return { BOOL: value };
    case "object":
      if (value === null) return { NULL: true };
      if (value instanceof Uint8Array) return { B: value };
      if (Array.isArray(value)) {
        const list: AttributeValue[] = [];
        for (const member of value) if (member !== undefined) list.push(toAttribute(member));
        return { L: list };
      }
      if (isPlainObject(value)) return { M: toAttributeMap(value) };
  }
  throw new TypeError(`internal: a ${describe(value)} cannot be stored as a DynamoDB attribute`);
}

/** An item or key as attribute values; `undefined` members are left out. */
export function toAttributeMap(item: Item): AttributeMap {
  const out: AttributeMap = {};
  for (const name in item) {
    const value = item[name];
    if (value !== undefined) out[name] = toAttribute(value);
  }
  return out;
}

export function fromAttribute(attribute: AttributeValue): unknown {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return fromNumber(attribute.N);
  if (attribute.B !== undefined) return attribute.B;
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL !== undefined) return null;
  if (attribute.L !== undefined) return attribute.L.map(fromAttribute);
  if (attribute.M !== undefined) return fromAttributeMap(attribute.M);
  if (attribute.SS !== undefined) return new Set(attribute.SS);
  if (attribute.NS !== undefined) return new Set(attribute.NS.map(fromNumber));
  if (attribute.BS !== undefined) return new Set(attribute.BS);
  throw new TypeError(`internal: unknown DynamoDB attribute type ${Object.keys(attribute).join(",")}`);
}

export function fromAttributeMap(map: AttributeMap): Item {
  const out: Item = {};
  for (const name in map) out[name] = fromAttribute(map[name] as AttributeValue);
  return out;
}

/** A DynamoDB number: a JS number, or a bigint when it is an integer too large to be one exactly. */
function fromNumber(text: string): number | bigint {
  const value = Number(text);
  if (Number.isSafeInteger(value) || (!Number.isInteger(value) && Number.isFinite(value))) return value;
  try {
    return BigInt(text);
  } catch {
    throw new TypeError(`internal: the stored number ${text} cannot be read exactly`);
  }
}

function isPlainObject(value: object): value is Item {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  return (value as object).constructor?.name ?? "object";
}
