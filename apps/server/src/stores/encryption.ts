import { readFileSync } from "node:fs";
import { type Keyring, kmsKeyring, localKeyring, withEncryption } from "@agent-state/encryption";
import { ConfigError, type ServerConfig } from "../config.js";
import type { OpenedStore } from "./open-store.js";

/**
 * The keyring `config.encryption` names, or null when encryption is off. A key file holds one key per line,
 * `<keyId>:<key>` (or a bare key, id `default`), the key as base64 or hex of 32 bytes, `#` comments allowed;
 * the first key encrypts new writes, the others stay readable (rotation). Errors never echo key material.
 */
export function openKeyring(config: Pick<ServerConfig, "encryption" | "dynamodb">): Keyring | null {
  const { keyFile, kmsKeyId } = config.encryption;
  if (kmsKeyId !== undefined) {
    const region = config.dynamodb.region;
    return kmsKeyring({ keyId: kmsKeyId, clientConfig: region === undefined ? {} : { region } });
  }
  if (keyFile === undefined) return null;
  let text: string;
  try {
    text = readFileSync(keyFile, "utf8");
  } catch {
    throw new ConfigError(`--encryption-key-file: cannot read ${keyFile}`);
  }
  const keys: Record<string, Uint8Array> = {};
  let current: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.lastIndexOf(":");
    const id = colon === -1 ? "default" : line.slice(0, colon).trim();
    const key = decodeKey(colon === -1 ? line : line.slice(colon + 1).trim());
    if (key === null || id === "" || Object.hasOwn(keys, id)) {
      throw new ConfigError(
        `--encryption-key-file: line ${index + 1} must be "<keyId>:<32-byte key as base64 or hex>" with a new id`,
      );
    }
    keys[id] = key;
    current ??= id;
  });
  if (current === undefined) throw new ConfigError("--encryption-key-file: the file holds no key");
  return localKeyring({ keys, current });
}

function decodeKey(text: string): Uint8Array | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text, "base64");
    return bytes.length === 32 ? bytes : null;
  }
  return null;
}

/** The opened store with encryption at rest around it. */
export function encrypted(opened: OpenedStore, keyring: Keyring): OpenedStore {
  return {
    ...opened,
    store: withEncryption(opened.store, { keyring }),
    description: `${opened.description}, encrypted (key ${keyring.currentKeyId})`,
  };
}
