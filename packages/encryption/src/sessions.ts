import {
  type AppendOptions,
  appendFingerprint,
  BoundedMap,
  DecryptionFailedError,
  type Json,
  type Message,
  type MessageInput,
  messageBytes,
  newSessionId,
  type Page,
  parseAppendOptions,
  parseUpdateOptions,
  type Session,
  type SessionChanges,
  type SessionInit,
  SessionNotFoundError,
  type SessionStore,
  type TruncateOptions,
  validateId,
  validateMessages,
  validateSessionChanges,
  validateSessionInit,
  withLimitAllowance,
} from "@agent-state/core";
import { keyedDigest, type ValueKey } from "./envelope.js";
import { decodeJson, encodeJson, type ValueCrypto } from "./value-crypto.js";

/** The one field of a stored session state: the encrypted state (its header also names the session key). */
export const STATE_FIELD = "ase1";
/** The one field of a stored message's metadata: the message's nonce, bound into its ciphertext. */
export const NONCE_FIELD = "ase1";

const NONCE_BYTES = 16;
const IV_BYTES = 12;
/** How many sessions' keys one store remembers (for idempotent appends and state updates). */
const SESSION_KEYS_CACHED = 10_000;

/**
 * Sessions with encrypted state and messages. A session's state is sealed under the session key (a data key
 * and salt chosen at `create`, kept in the state's header); messages of a plain append get a fresh key per
 * call, those of an idempotent append the session key with synthetic nonces, so that a retry (in any
 * process) produces the same ciphertext and the inner store recognises it.
 */
export class EncryptedSessions implements SessionStore {
  private readonly sessionKeys = new BoundedMap<string, ValueKey>(SESSION_KEYS_CACHED);

  constructor(
    private readonly inner: SessionStore,
    private readonly crypto: ValueCrypto,
  ) {}

  async create(init?: SessionInit): Promise<Session> {
    const valid = validateSessionInit(init);
    const sessionId = valid.sessionId ?? newSessionId();
    const state = valid.state ?? {};
    const key = await this.crypto.newKey();
    const stored = this.sealState(key, sessionId, state);
    const session = await withLimitAllowance(growth(stored, state), () =>
      this.inner.create({ ...valid, sessionId, state: stored }),
    );
    this.sessionKeys.set(sessionId, key);
    return { ...session, state };
  }

  async get(
    sessionId: string,
    opts?: { recentMessages?: number },
  ): Promise<(Session & { recentMessages?: Message[] }) | null> {
    const session = await this.inner.get(sessionId, opts);
    if (session === null) return null;
    const { recentMessages, ...rest } = session;
    const result: Session & { recentMessages?: Message[] } = {
      ...rest,
      state: await this.openState(sessionId, rest.state),
    };
    if (recentMessages !== undefined)
      result.recentMessages = await this.openMessages(sessionId, recentMessages);
    return result;
  }

  async update(
    sessionId: string,
    changes: SessionChanges,
    opts?: { expectedVersion?: number },
  ): Promise<Session> {
    validateId("sessionId", sessionId);
    const valid = validateSessionChanges(changes);
    parseUpdateOptions(opts);
    if (valid.state === undefined) {
      const session = await this.inner.update(sessionId, valid, opts);
      return { ...session, state: await this.openState(sessionId, session.state) };
    }
    const state = valid.state;
    const stored = this.sealState(await this.sessionKey(sessionId), sessionId, state);
    const session = await withLimitAllowance(growth(stored, state), () =>
      this.inner.update(sessionId, { ...valid, state: stored }, opts),
    );
    return { ...session, state };
  }

  async append(
    sessionId: string,
    messages: MessageInput | MessageInput[],
    opts?: AppendOptions,
  ): Promise<Message[]> {
    validateId("sessionId", sessionId);
    const plain = validateMessages(messages);
    const { idempotencyKey, replace } = parseAppendOptions(opts, plain.length);
    let nonces: Buffer[];
    let ivs: (Buffer | undefined)[];
    let key: ValueKey;
    if (idempotencyKey === undefined) {
      key = await this.crypto.newKey();
      nonces = plain.map(() => randomNonce());
      ivs = plain.map(() => undefined);
    } else {
      // Deterministic: the same append (messages and replace) with the same key in the same session gives the
      // same nonces and IVs, so the same ciphertext; any other append gives other ones.
      key = await this.sessionKey(sessionId);
      const fingerprint = appendFingerprint(plain, replace);
      const digests = plain.map((_, i) =>
        keyedDigest(key, ["idempotent-append", sessionId, idempotencyKey, fingerprint, String(i)]),
      );
      nonces = digests.map((d) => d.subarray(0, NONCE_BYTES));
      ivs = digests.map((d) => d.subarray(NONCE_BYTES, NONCE_BYTES + IV_BYTES));
    }
    const byNonce = new Map<string, MessageInput>();
    let extraBytes = 0;
    const sealed = plain.map((message, i): MessageInput => {
      const nonce = (nonces[i] as Buffer).toString("base64url");
      byNonce.set(nonce, message);
      const out: MessageInput = {
        role: message.role,
        content: this.crypto.sealText(
          key,
          messageContext(sessionId, nonce, message.role),
          encodeMessage(message),
          ivs[i],
        ),
        metadata: { [NONCE_FIELD]: nonce },
      };
      if (message.timestamp !== undefined) out.timestamp = message.timestamp;
      extraBytes += Math.max(0, messageBytes(out) - messageBytes(message));
      return out;
    });
    const appended = await withLimitAllowance(extraBytes, () => this.inner.append(sessionId, sealed, opts));
    return Promise.all(
      appended.map((stored) => {
        const nonce = stored.metadata?.[NONCE_FIELD];
        const known = typeof nonce === "string" ? byNonce.get(nonce) : undefined;
        // A retry returns the first call's messages: the same nonces, so the same plaintext.
        if (known !== undefined && known.role === stored.role) return withPlaintext(stored, known);
        return this.openMessage(sessionId, stored);
      }),
    );
  }

  async truncate(sessionId: string, opts: TruncateOptions): Promise<Message[]> {
    return this.openMessages(sessionId, await this.inner.truncate(sessionId, opts));
  }

  async messages(
    sessionId: string,
    opts?: { limit?: number; cursor?: string; order?: "asc" | "desc" },
  ): Promise<Page<Message>> {
    const page = await this.inner.messages(sessionId, opts);
    return { items: await this.openMessages(sessionId, page.items), cursor: page.cursor };
  }

  async delete(sessionId: string): Promise<boolean> {
    const deleted = await this.inner.delete(sessionId);
    this.sessionKeys.delete(sessionId);
    return deleted;
  }

  async listByUser(userId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<Session>> {
    const page = await this.inner.listByUser(userId, opts);
    const items = await Promise.all(
      page.items.map(async (s) => ({ ...s, state: await this.openState(s.sessionId, s.state) })),
    );
    return { items, cursor: page.cursor };
  }

  /** Seals the state under a new session key (for `reencrypt`): new writes of the session use the current key. */
  async rekey(
    sessionId: string,
    opts: { expectedVersion: number },
    state: Record<string, Json>,
  ): Promise<Session> {
    const key = await this.crypto.newKey();
    const stored = this.sealState(key, sessionId, state);
    const session = await withLimitAllowance(growth(stored, state), () =>
      this.inner.update(sessionId, { state: stored }, opts),
    );
    this.sessionKeys.set(sessionId, key);
    return { ...session, state };
  }

  /** The key id a session's state is stored under, or null when it is plaintext (migration mode). */
  storedKeyId(state: Record<string, Json>): string | null {
    return this.crypto.parseText(stateText(state))?.keyId ?? null;
  }

  private sealState(key: ValueKey, sessionId: string, state: Record<string, Json>): Record<string, Json> {
    return { [STATE_FIELD]: this.crypto.sealText(key, stateContext(sessionId), encodeJson(state)) };
  }

  private async openState(sessionId: string, stored: Record<string, Json>): Promise<Record<string, Json>> {
    const what = `state of session ${JSON.stringify(sessionId)}`;
    const parsed = this.crypto.parseText(stateText(stored));
    if (parsed === null) {
      if (this.crypto.legacyPlaintext === "read") return stored;
      throw new DecryptionFailedError(what, "is not an encrypted value (plaintext refused)");
    }
    const key = await this.crypto.keyOf(what, parsed);
    const plaintext = this.crypto.openWith(what, stateContext(sessionId), parsed, key);
    if (!this.sessionKeys.has(sessionId)) this.sessionKeys.set(sessionId, key);
    return decodeJson(plaintext) as Record<string, Json>;
  }

  /** The session's key: remembered, or read from its stored state (a new one for a plaintext legacy state). */
  private async sessionKey(sessionId: string): Promise<ValueKey> {
    const known = this.sessionKeys.use(sessionId);
    if (known !== undefined) return known;
    const session = await this.inner.get(sessionId);
    if (session === null) throw new SessionNotFoundError(sessionId);
    const what = `state of session ${JSON.stringify(sessionId)}`;
    const parsed = this.crypto.parseText(stateText(session.state));
    let key: ValueKey;
    if (parsed !== null) key = await this.crypto.keyOf(what, parsed);
    else if (this.crypto.legacyPlaintext === "read") key = await this.crypto.newKey();
    else throw new DecryptionFailedError(what, "is not an encrypted value (plaintext refused)");
    this.sessionKeys.set(sessionId, key);
    return key;
  }

  private openMessages(sessionId: string, messages: Message[]): Promise<Message[]> {
    return Promise.all(messages.map((m) => this.openMessage(sessionId, m)));
  }

  private async openMessage(sessionId: string, stored: Message): Promise<Message> {
    const nonce = stored.metadata?.[NONCE_FIELD];
    const isSealed =
      typeof nonce === "string" && stored.metadata !== undefined && Object.keys(stored.metadata).length === 1;
    const what = `message ${JSON.stringify(stored.id)} of session ${JSON.stringify(sessionId)}`;
    if (!isSealed) {
      if (this.crypto.legacyPlaintext === "read") return stored;
      throw new DecryptionFailedError(what, "is not an encrypted value (plaintext refused)");
    }
    const plaintext = await this.crypto.openText(
      what,
      messageContext(sessionId, nonce, stored.role),
      stored.content,
    );
    return withPlaintext(stored, decodeMessage(plaintext));
  }
}

function stateText(state: Record<string, Json>): Json | undefined {
  const keys = Object.keys(state);
  return keys.length === 1 && keys[0] === STATE_FIELD ? state[STATE_FIELD] : undefined;
}

function stateContext(sessionId: string): string[] {
  return ["session-state", sessionId];
}

function messageContext(sessionId: string, nonce: string, role: string): string[] {
  return ["message", sessionId, nonce, role];
}

function randomNonce(): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/** UTF-8 bytes of the JSON growth: what sealing added to a JSON value. */
function growth(stored: Json, plain: Json): number {
  return Math.max(0, Buffer.byteLength(JSON.stringify(stored)) - Buffer.byteLength(JSON.stringify(plain)));
}

/** A message's content and metadata as one plaintext: content length (4 bytes), content, metadata JSON. */
function encodeMessage(message: Pick<MessageInput, "content" | "metadata">): Buffer {
  const content = Buffer.from(message.content, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(content.length);
  const metadata = message.metadata === undefined ? Buffer.alloc(0) : encodeJson(message.metadata);
  return Buffer.concat([length, content, metadata]);
}

function decodeMessage(bytes: Buffer): Pick<MessageInput, "content" | "metadata"> {
  const length = bytes.readUInt32BE(0);
  const content = bytes.toString("utf8", 4, 4 + length);
  if (bytes.length === 4 + length) return { content };
  return { content, metadata: decodeJson(bytes.subarray(4 + length)) as Record<string, Json> };
}

function withPlaintext(stored: Message, plain: Pick<MessageInput, "content" | "metadata">): Message {
  const message: Message = {
    id: stored.id,
    role: stored.role,
    content: plain.content,
    timestamp: stored.timestamp,
  };
  if (plain.metadata !== undefined) message.metadata = structuredClone(plain.metadata);
  return message;
}
