import { EventEmitter } from "node:events";
import {
  type Clock,
  isStateStoreError,
  type Json,
  LIMITS,
  type Millis,
  type RecordOp,
  type StateStore,
  type StoredRecord,
  ValidationError,
} from "@agent-state/core";
import type { KeyvStoreAdapter, StoredData } from "keyv";

export interface AgentStateKeyvOptions {
  /**
   * The records scope this adapter writes under; each Keyv namespace is its own scope
   * (`<scope>:<namespace>`), so `clear()` of one namespace is one `records.clear`. Default `"keyv"`.
   */
  scope?: string;
  /**
   * Judges millisecond expiry (the store only keeps whole seconds). Default `Date.now`; pass the store's
   * clock when it runs on a manual one.
   */
  clock?: Clock;
}

/**
 * How a Keyv value is held in a record: the value Keyv handed over (a string with Keyv's default
 * serializer, or any JSON), or bytes as base64, plus the millisecond expiry Keyv asked for.
 */
type Envelope = { value: Json; expiresAt: Millis | null } | { bytes: string; expiresAt: Millis | null };

/** A Keyv value as this adapter accepts it: what Keyv's serializer produced (JSON or bytes). */
type KeyvValue = Json | Uint8Array;

const MAX_DELETE_ATTEMPTS = 10;

/**
 * A Keyv storage adapter on `store.records`: `new Keyv({ store: new AgentStateKeyv(store) })`.
 * Reads never count anything (records have no hit counter), TTLs are honoured to the millisecond, `delete`
 * reports whether a live entry was removed, and `clear()` empties only the adapter's namespace.
 */
export class AgentStateKeyv extends EventEmitter implements KeyvStoreAdapter {
  /**
   * Keyv reads `opts` (its iterator check looks at `dialect` and `url`; its BigInt test sets
   * `deserialize` here). Keyv 5 only wires `keyv.iterator()` for its own list of dialects, so call
   * `iterator()` on this adapter directly.
   */
  opts: { dialect: string; url: string; scope: string; [key: string]: unknown };
  private readonly store: StateStore;
  /** Every namespace a Keyv has given this adapter, so a key can be routed by its `namespace:` prefix. */
  private readonly namespaces = new Set<string>();
  private current: string | undefined;
  private readonly clock: Clock;

  constructor(store: StateStore, options: AgentStateKeyvOptions = {}) {
    super();
    this.store = store;
    this.clock = options.clock ?? (() => Date.now());
    this.opts = { dialect: "agent-state", url: "agent-state://records", scope: options.scope ?? "keyv" };
  }

  /**
   * The Keyv namespace, set by Keyv from its `namespace` option (default "keyv"). Keyv sets it on the adapter it
   * is given; when several Keyv instances share one adapter, each key still goes to its own namespace's scope
   * (Keyv prefixes keys with `namespace:`), but `clear()` cannot tell which namespace is meant and refuses.
   */
  get namespace(): string | undefined {
    return this.current;
  }

  set namespace(namespace: string | undefined) {
    this.current = namespace;
    if (namespace) this.namespaces.add(namespace);
  }

  /** The records scope of a namespace (default: the current one). */
  scopeOf(namespace: string | undefined = this.current): string {
    return namespace ? `${this.opts.scope}:${namespace}` : this.opts.scope;
  }

  /**
   * The scope a key belongs to: the namespace its `namespace:` prefix names (the longest known one), else the
   * current namespace (Keyv's `useKeyPrefix: false`).
   */
  private scopeOfKey(key: string): string {
    let owner: string | undefined;
    for (const namespace of this.namespaces) {
      if (key.startsWith(`${namespace}:`) && (owner === undefined || namespace.length > owner.length)) {
        owner = namespace;
      }
    }
    return this.scopeOf(owner ?? this.current);
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const [record] = await this.store.records.get(this.scopeOfKey(key), [key]);
    return this.live(record ?? null) as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    // Grouped by scope (one per namespace), each group read in batches, answers put back in the keys' order.
    const out = new Array<StoredData<Value | undefined>>(keys.length);
    for (const [scope, indexes] of this.groupByScope(keys)) {
      for (let i = 0; i < indexes.length; i += LIMITS.maxRecordKeysPerGet) {
        const batch = indexes.slice(i, i + LIMITS.maxRecordKeysPerGet);
        const records = await this.store.records.get(
          scope,
          batch.map((index) => keys[index] as string),
        );
        records.forEach((record, j) => {
          out[batch[j] as number] = this.live(record) as StoredData<Value | undefined>;
        });
      }
    }
    return out;
  }

  private groupByScope(keys: string[]): Map<string, number[]> {
    const groups = new Map<string, number[]>();
    keys.forEach((key, index) => {
      const scope = this.scopeOfKey(key);
      const group = groups.get(scope);
      if (group === undefined) groups.set(scope, [index]);
      else group.push(index);
    });
    return groups;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.getMany(keys)).map((value) => value !== undefined);
  }

  /** Stores the value; `ttl` in milliseconds (absent or 0: never expires). */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.store.records.write(this.scopeOfKey(key), [this.putOp(key, value, ttl)]);
    return true;
  }

  /** Stores every entry (the last one wins for a repeated key), up to 100 per records write. */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    const latest = new Map<string, RecordOp>();
    for (const { key, value, ttl } of entries) {
      latest.delete(key); // re-insert, so the map keeps the order of the last writes
      latest.set(key, this.putOp(key, value, ttl));
    }
    const keys = [...latest.keys()];
    const ops = [...latest.values()];
    for (const [scope, indexes] of this.groupByScope(keys)) {
      const scoped = indexes.map((index) => ops[index] as RecordOp);
      for (let i = 0; i < scoped.length; i += LIMITS.maxRecordOpsPerWrite) {
        await this.store.records.write(scope, scoped.slice(i, i + LIMITS.maxRecordOpsPerWrite));
      }
    }
  }

  /** Removes the entry; true when a live (unexpired) entry was removed. */
  async delete(key: string): Promise<boolean> {
    const scope = this.scopeOfKey(key);
    for (let attempt = 0; attempt < MAX_DELETE_ATTEMPTS; attempt++) {
      const [record] = await this.store.records.get(scope, [key]);
      if (!record) return false;
      try {
        // Conditional on the version read, so "was it there" is answered for the entry actually removed.
        await this.store.records.write(scope, [{ delete: key, ifVersion: record.version }]);
        return this.live(record) !== undefined;
      } catch (error) {
        if (!isStateStoreError(error, "VERSION_CONFLICT")) throw error;
        // Replaced or removed meanwhile: read again.
      }
    }
    // Another writer kept replacing it: remove it unconditionally; it existed.
    await this.store.records.write(scope, [{ delete: key }]);
    return true;
  }

  /**
   * Removes every entry of the namespace, and nothing of any other. Keyv calls it without saying which namespace:
   * when Keyv instances with different namespaces share this adapter it cannot tell, so it throws a
   * `ValidationError` (give each Keyv its own `AgentStateKeyv`) rather than empty the wrong one.
   */
  async clear(): Promise<void> {
    if (this.namespaces.size > 1) {
      throw new ValidationError(
        "namespace",
        `this AgentStateKeyv serves ${this.namespaces.size} Keyv namespaces, so clear() cannot tell which to ` +
          "empty: give each Keyv its own adapter (new AgentStateKeyv(store))",
      );
    }
    await this.store.records.clear(this.scopeOf());
  }

  /** Every live entry of the namespace as `[key, value]`, in key order, a page of 100 at a time. */
  async *iterator<Value>(
    namespace?: string,
  ): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const scope = this.scopeOf(namespace ?? this.current);
    let cursor: string | undefined;
    do {
      const page = await this.store.records.range(scope, {
        limit: 100,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const record of page.items) {
        const value = this.live(record);
        if (value !== undefined) yield [record.key, value as Awaited<Value>];
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Nothing to release: the store belongs to the caller. */
  async disconnect(): Promise<void> {}

  private putOp(key: string, value: unknown, ttl: number | undefined): RecordOp {
    if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0)) {
      throw new ValidationError("ttl", `must be a number of milliseconds ≥ 0, got ${ttl}`);
    }
    const expiresAt = ttl ? this.clock() + ttl : null;
    const envelope: Envelope =
      value instanceof Uint8Array
        ? { bytes: Buffer.from(value).toString("base64"), expiresAt }
        : { value: value as Json, expiresAt };
    // The record outlives the millisecond expiry by < 1 s; reads judge the exact time.
    return ttl
      ? { put: key, value: envelope, ttlSeconds: Math.ceil(ttl / 1000) }
      : { put: key, value: envelope };
  }

  private live(record: StoredRecord | null): KeyvValue | undefined {
    if (!record) return undefined;
    const envelope = record.value as unknown as Envelope;
    // Keyv's own rule: an entry is live until the clock passes `expires`.
    if (envelope.expiresAt !== null && this.clock() > envelope.expiresAt) return undefined;
    return "bytes" in envelope ? new Uint8Array(Buffer.from(envelope.bytes, "base64")) : envelope.value;
  }
}
