import type { Json } from "@agent-state/core";

// A record value that is JSON and bytes at once: a 4-byte big-endian length, that many bytes of UTF-8
// JSON (the header), then the payload parts one after another, as they are. Serialized LangGraph values stay binary: nothing is base64.

export function seal(header: Json, parts: Uint8Array[] = []): Uint8Array {
  const head = Buffer.from(JSON.stringify(header), "utf8");
  const out = new Uint8Array(4 + head.byteLength + parts.reduce((n, p) => n + p.byteLength, 0));
  new DataView(out.buffer).setUint32(0, head.byteLength);
  out.set(head, 4);
  let at = 4 + head.byteLength;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

export function open(value: unknown): { header: unknown; payload: Uint8Array } {
  if (!(value instanceof Uint8Array) || value.byteLength < 4) {
    throw new TypeError("not a record this package wrote (expected an envelope of bytes)");
  }
  const length = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  const head = Buffer.from(value.buffer, value.byteOffset + 4, length).toString("utf8");
  return { header: JSON.parse(head) as unknown, payload: value.subarray(4 + length) };
}
