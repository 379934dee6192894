import {
  DecryptionFailedError,
  type Json,
  type Page,
  parseRecordWrite,
  type RecordOp,
  type RecordRangeOptions,
  type RecordStore,
  type RecordValue,
  type RecordWriteOptions,
  type StoredRecord,
  withLimitAllowance,
} from "@agent-state/core";
import { parseEnvelope } from "./envelope.js";
import { decodeJson, encodeJson, type ValueCrypto } from "./value-crypto.js";

const JSON_VALUE = 0;
const BYTES_VALUE = 1;

/** Records whose values are stored as ciphertext bytes bound to their scope and key. */
export class EncryptedRecords implements RecordStore {
  constructor(
    private readonly inner: RecordStore,
    private readonly crypto: ValueCrypto,
  ) {}

  async get(scope: string, keys: string[]): Promise<(StoredRecord | null)[]> {
    const records = await this.inner.get(scope, keys);
    return Promise.all(records.map((r) => (r === null ? null : this.open(scope, r))));
  }

  async range(scope: string, opts?: RecordRangeOptions): Promise<Page<StoredRecord>> {
    const page = await this.inner.range(scope, opts);
    return { items: await Promise.all(page.items.map((r) => this.open(scope, r))), cursor: page.cursor };
  }

  async write(scope: string, ops: RecordOp[], opts?: RecordWriteOptions): Promise<StoredRecord[]> {
    const batch = parseRecordWrite(scope, ops, opts);
    const key = await this.crypto.newKey();
    const values: RecordValue[] = [];
    let extraBytes = 0;
    const sealed = batch.ops.map((op): RecordOp => {
      if (op.kind === "delete") {
        return op.ifVersion === undefined ? { delete: op.key } : { delete: op.key, ifVersion: op.ifVersion };
      }
      values.push(op.value);
      const value = this.crypto.seal(key, recordContext(batch.scope, op.key), encodeValue(op.value));
      extraBytes += Math.max(0, value.byteLength - op.encoded.bytes.byteLength);
      const put: RecordOp = {
        put: op.key,
        value: new Uint8Array(value.buffer, value.byteOffset, value.length),
      };
      if (op.ifVersion !== undefined) put.ifVersion = op.ifVersion;
      if (op.ttlSeconds !== undefined) put.ttlSeconds = op.ttlSeconds;
      return put;
    });
    const written = await withLimitAllowance(extraBytes, () =>
      this.inner.write(batch.scope, sealed, { atomic: batch.atomic }),
    );
    return written.map((record, i) => ({ ...record, value: copyValue(values[i] as RecordValue) }));
  }

  clear(scope: string): Promise<boolean> {
    return this.inner.clear(scope);
  }

  /** The key id a stored record is sealed under, or null for a plaintext (legacy) record. */
  storedKeyId(record: StoredRecord): string | null {
    return record.value instanceof Uint8Array ? (parseEnvelope(record.value)?.keyId ?? null) : null;
  }

  private async open(scope: string, record: StoredRecord): Promise<StoredRecord> {
    const what = `record ${JSON.stringify(record.key)} of scope ${JSON.stringify(scope)}`;
    const parsed = record.value instanceof Uint8Array ? parseEnvelope(record.value) : null;
    if (parsed === null) {
      if (this.crypto.legacyPlaintext === "read") return record;
      throw new DecryptionFailedError(what, "is not an encrypted value (plaintext refused)");
    }
    const plaintext = await this.crypto.openParsed(what, recordContext(scope, record.key), parsed);
    return { ...record, value: decodeValue(what, plaintext) };
  }
}

function recordContext(scope: string, key: string): string[] {
  return ["record", scope, key];
}

function encodeValue(value: RecordValue): Buffer {
  if (value instanceof Uint8Array) return Buffer.concat([Buffer.from([BYTES_VALUE]), value]);
  return Buffer.concat([Buffer.from([JSON_VALUE]), encodeJson(value)]);
}

function decodeValue(what: string, plaintext: Buffer): RecordValue {
  const type = plaintext[0];
  if (type === BYTES_VALUE) return new Uint8Array(plaintext.subarray(1));
  if (type === JSON_VALUE) return decodeJson(plaintext.subarray(1)) as Json;
  throw new DecryptionFailedError(what, "has an unknown value type");
}

function copyValue(value: RecordValue): RecordValue {
  return value instanceof Uint8Array ? new Uint8Array(value) : structuredClone(value);
}
