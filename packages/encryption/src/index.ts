export type { EncryptionOptions } from "./encrypted-store.js";
export { EncryptedStateStore, withEncryption } from "./encrypted-store.js";
export type { DataKey, Keyring, LocalKeyringOptions } from "./keyring.js";
export { localKeyring } from "./keyring.js";
export type { KmsClientLike, KmsDataKeyCacheOptions, KmsKeyringOptions } from "./kms-keyring.js";
export { KeyringUnavailableError, kmsKeyring } from "./kms-keyring.js";
export type { ReencryptResult, ReencryptTarget } from "./reencrypt.js";
export { reencrypt } from "./reencrypt.js";
export type { LegacyPlaintext } from "./value-crypto.js";
