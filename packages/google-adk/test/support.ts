import { type RecordOp, type StateStore, UnavailableError } from "@agent-state/core";

/** A records call as the counting store saw it: `get`, `range` or `write` (`write!` for an atomic one). */
export type RecordCall = "get" | "range" | "write" | "write!";

/**
 * `store` with its `records` calls recorded in `calls` (each one store round trip). `failWrite` decides,
 * per write, to throw `UnavailableError` without reaching the store: what an outage or a crash at that
 * moment leaves behind.
 */
export function countingStore(
  store: StateStore,
  options: { failWrite?: (scope: string, ops: RecordOp[]) => boolean } = {},
): { store: StateStore; calls: RecordCall[] } {
  const calls: RecordCall[] = [];
  const inner = store.records;
  const records: StateStore["records"] = {
    get: (scope, keys) => {
      calls.push("get");
      return inner.get(scope, keys);
    },
    range: (scope, opts) => {
      calls.push("range");
      return inner.range(scope, opts);
    },
    async write(scope, ops, opts) {
      calls.push(opts?.atomic ? "write!" : "write");
      if (options.failWrite?.(scope, ops)) throw new UnavailableError("injected failure");
      return inner.write(scope, ops, opts);
    },
    clear: (scope) => inner.clear(scope),
  };
  const wrapped = new Proxy(store, {
    get: (target, property) => {
      if (property === "records") return records;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, calls };
}

/** Every record of every scope whose name starts with "adk/", as JSON text (to look for what must not be). */
export async function dumpRecords(store: StateStore, scopes: string[]): Promise<string> {
  const parts: string[] = [];
  for (const scope of scopes) {
    let cursor: string | undefined;
    do {
      const page = await store.records.range(scope, { limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const record of page.items) parts.push(`${record.key}=${JSON.stringify(record.value)}`);
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }
  return parts.join("\n");
}
