import { type AppendOptions, type StateStore, UnavailableError } from "@agent-state/core";

/** A session write as the instrumented store saw it: `append`, `append+replace` or `truncate`. */
export type WriteCall = "append" | "append+replace" | "truncate";

/**
 * `store` with its session writes recorded in `writes` (in order, failed ones included). With
 * `failReplace`, an append with `replace` throws `UnavailableError` without reaching the store: what a
 * backend outage (or a crash) at that moment leaves behind.
 */
export function instrumented(
  store: StateStore,
  options: { failReplace?: boolean } = {},
): { store: StateStore; writes: WriteCall[] } {
  const writes: WriteCall[] = [];
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
  const wrapped = new Proxy(store, {
    get: (target, property) => {
      if (property === "sessions") return sessions;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, writes };
}
