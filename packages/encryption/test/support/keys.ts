import { randomBytes } from "node:crypto";
import { type Keyring, localKeyring } from "../../src/index.js";

/** A local keyring with one fresh random key ("k1"), or the given keys. */
export function testKeyring(
  keys: Record<string, Uint8Array> = { k1: randomBytes(32) },
  current = "k1",
): Keyring {
  return localKeyring({ keys, current });
}
