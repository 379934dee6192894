import { isStateStoreError, type RecordOp, SessionNotFoundError, ValidationError } from "@agent-state/core";
import type { EncryptedStateStore } from "./encrypted-store.js";
import { parseEnvelope } from "./envelope.js";
import { NONCE_FIELD } from "./sessions.js";
import { TEXT_PREFIX } from "./value-crypto.js";

/** What `reencrypt` rewrites: one session's state, or every record of one scope. */
export type ReencryptTarget = { sessionId: string } | { scope: string };

/** What `reencrypt` did. */
export interface ReencryptResult {
  /** Values rewritten under the keyring's current key. */
  rewritten: number;
  /** Values already under the current key, or changed by another writer meanwhile (so written with it). */
  skipped: number;
  /**
   * Messages of the session still under an older key. Messages cannot be rewritten in place (the interface
   * has no message update, and replacing them would change their ids): they stay readable while their key is
   * in the keyring and leave with their session (sliding expiry, or `delete`).
   */
  messagesUnderOldKeys: number;
}

const MAX_ATTEMPTS = 5;
const PAGE = 100;

/**
 * Rewrites a session's state (under a new session key from the current keyring key) or every record of a
 * scope whose stored key is not the current one. Conditional on versions (a session's `expectedVersion`, a
 * record's `ifVersion`), so a concurrent write is never overwritten: it already used the current key. Each
 * rewrite adds 1 to the version, as any write does. Missing session: `SessionNotFoundError`.
 */
export async function reencrypt(
  store: EncryptedStateStore,
  target: ReencryptTarget,
): Promise<ReencryptResult> {
  const current = store.keyring.currentKeyId;
  if ("sessionId" in target) return reencryptSession(store, target.sessionId, current);
  if ("scope" in target) return reencryptScope(store, target.scope, current);
  throw new ValidationError("target", "must be { sessionId } or { scope }");
}

async function reencryptSession(
  store: EncryptedStateStore,
  sessionId: string,
  current: string,
): Promise<ReencryptResult> {
  const inner = store.innerStore;
  let rewritten = 0;
  let skipped = 0;
  for (let attempt = 1; ; attempt++) {
    const raw = await inner.sessions.get(sessionId);
    if (raw === null) throw new SessionNotFoundError(sessionId);
    if (store.sessions.storedKeyId(raw.state) === current) {
      skipped = 1;
      break;
    }
    const plain = await store.sessions.get(sessionId);
    if (plain === null) continue;
    try {
      await store.sessions.rekey(sessionId, { expectedVersion: raw.version }, plain.state);
      rewritten = 1;
      break;
    } catch (error) {
      if (!isStateStoreError(error, "VERSION_CONFLICT") || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
  let messagesUnderOldKeys = 0;
  let cursor: string | undefined;
  do {
    const page = await inner.sessions.messages(sessionId, { limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const message of page.items) {
      const sealed =
        typeof message.metadata?.[NONCE_FIELD] === "string" && message.content.startsWith(TEXT_PREFIX);
      const keyId = sealed
        ? parseEnvelope(Buffer.from(message.content.slice(TEXT_PREFIX.length), "base64url"))?.keyId
        : undefined;
      if (keyId !== current) messagesUnderOldKeys++;
    }
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return { rewritten, skipped, messagesUnderOldKeys };
}

async function reencryptScope(
  store: EncryptedStateStore,
  scope: string,
  current: string,
): Promise<ReencryptResult> {
  const inner = store.innerStore;
  let rewritten = 0;
  let skipped = 0;
  let cursor: string | undefined;
  do {
    const page = await inner.records.range(scope, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    const stale = page.items.filter((r) => store.records.storedKeyId(r) !== current);
    skipped += page.items.length - stale.length;
    if (stale.length > 0) {
      const plain = await store.records.get(
        scope,
        stale.map((r) => r.key),
      );
      const ops: RecordOp[] = [];
      stale.forEach((raw, i) => {
        const record = plain[i];
        if (record === null || record === undefined || record.version !== raw.version) {
          skipped++;
          return;
        }
        const op: RecordOp = { put: raw.key, value: record.value, ifVersion: raw.version };
        if (raw.expiresAt !== null)
          op.ttlSeconds = Math.max(1, Math.ceil((raw.expiresAt - Date.now()) / 1000));
        ops.push(op);
      });
      if (ops.length > 0) {
        try {
          rewritten += (await store.records.write(scope, ops)).length;
        } catch (error) {
          // Not atomic: every other op was applied; a conflict means another writer got there (current key).
          if (!isStateStoreError(error, "VERSION_CONFLICT")) throw error;
          const after = await inner.records.get(
            scope,
            ops.map((op) => ("put" in op ? op.put : op.delete)),
          );
          for (const record of after) {
            if (record !== null && store.records.storedKeyId(record) === current) rewritten++;
            else skipped++;
          }
        }
      }
    }
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return { rewritten, skipped, messagesUnderOldKeys: 0 };
}
