/**
 * The size of a value or a request in bytes, roughly: its JSON text as UTF-16 (2 bytes a code unit), with each
 * `Uint8Array` (a record's binary value, a chunk of a large value) counted by its length instead of the much
 * longer JSON of its indices.
 */
export function approximateBytes(value: unknown): number {
  let binary = 0;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof Uint8Array)) return v;
    binary += v.byteLength;
    return 0;
  });
  return (text?.length ?? 0) * 2 + binary;
}
