import { type AppendOptions, type RecordOp, type StateStore, UnavailableError } from "@agent-state/core";

/** A session write as the instrumented store saw it: `append`, `append+replace` or `truncate`. */
export type WriteCall = "append" | "append+replace" | "truncate";

/** A records call as the instrumented store saw it (each one store round trip); `write!` is an atomic write. */
export type RecordCall = "get" | "range" | "write" | "write!" | "clear";

export interface InstrumentOptions {
  /**
   * An append with `replace` throws `UnavailableError` without reaching the store: what a backend outage (or a
   * crash) at that moment leaves behind.
   */
  failReplace?: boolean;
  /** Decides, per `records.write`, to throw `UnavailableError` without reaching the store (likewise). */
  failRecordWrite?: (scope: string, ops: RecordOp[]) => boolean;
}

/**
 * `store` with its session writes recorded in `writes` and its records calls in `records` (in order, failed
 * ones included), failing the writes `options` names.
 */
export function instrumented(
  store: StateStore,
  options: InstrumentOptions = {},
): { store: StateStore; writes: WriteCall[]; records: RecordCall[] } {
  const writes: WriteCall[] = [];
  const records: RecordCall[] = [];
  const inner = store.sessions;
  const sessions: StateStore["sessions"] = {
    create: (init) => inner.create(init),
    get: (id, opts) => inner.get(id, opts),
    update: (id, changes, opts) => inner.update(id, changes, opts),
    async append(id, messages, opts?: AppendOptions) {
      writes.push(opts?.replace ? "append+replace" : "append");
      if (opts?.replace && options.failReplace) throw new UnavailableError("injected failure");
      return inner.append(id, messages, opts);
    },
    async truncate(id, opts) {
      writes.push("truncate");
      return inner.truncate(id, opts);
    },
    messages: (id, opts) => inner.messages(id, opts),
    delete: (id) => inner.delete(id),
    listByUser: (userId, opts) => inner.listByUser(userId, opts),
  };
  const innerRecords = store.records;
  const recordStore: StateStore["records"] = {
    get(scope, keys) {
      records.push("get");
      return innerRecords.get(scope, keys);
    },
    range(scope, opts) {
      records.push("range");
      return innerRecords.range(scope, opts);
    },
    async write(scope, ops, opts) {
      records.push(opts?.atomic ? "write!" : "write");
      if (options.failRecordWrite?.(scope, ops)) throw new UnavailableError("injected failure");
      return innerRecords.write(scope, ops, opts);
    },
    clear(scope) {
      records.push("clear");
      return innerRecords.clear(scope);
    },
  };
  const wrapped = new Proxy(store, {
    get: (target, property) => {
      if (property === "sessions") return sessions;
      if (property === "records") return recordStore;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, writes, records };
}
