import { isDeepStrictEqual } from "node:util";
import {
  isStateStoreError,
  type Json,
  type RecordOp,
  type StateStore,
  ValidationError,
} from "@agent-state/core";
import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
  validateNamespace,
} from "@langchain/langgraph-checkpoint";
import { segment } from "./keys.js";

export interface AgentStateStoreOptions {
  /** The record scope holding every item; default `"langgraph:store"`. One scope: see the README for what that costs. */
  scope?: string;
}

interface StoredItem {
  namespace: string[];
  key: string;
  value: Json;
  createdAt: number;
  updatedAt: number;
}

const PAGE = 100;
const MAX_ATTEMPTS = 5;

/**
 * LangGraph's long-term memory store (`BaseStore`) on a `StateStore`'s records: every item in one scope, keyed
 * `i/<label>/…/<label>/:<key>`, so a namespace prefix is a key prefix (search is one range query, never a
 * scan) and `listNamespaces` skips from one namespace to the next (one small range per namespace). No
 * vector search: `query` is ignored, as by `InMemoryStore` without an index.
 */
export class AgentStateStore extends BaseStore {
  private readonly scope: string;

  constructor(
    private readonly store: StateStore,
    opts: AgentStateStoreOptions = {},
  ) {
    super();
    if (store === null || typeof store !== "object" || typeof store.records?.range !== "function") {
      throw new ValidationError("store", "must be a StateStore with records");
    }
    this.scope = opts.scope ?? "langgraph:store";
  }

  /** Runs reads first (they see the state before the batch), then the puts (the last one per item wins). */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const puts = new Map<string, PutOperation>();
    const reads = operations.map((op): Promise<unknown> => {
      if ("namespacePrefix" in op) return this.search_(op);
      if ("matchConditions" in op) return this.listNamespaces_(op);
      if ("value" in op) {
        validateNamespace(op.namespace);
        puts.set(itemKey(op.namespace, op.key), op);
        return Promise.resolve(undefined);
      }
      return this.get_(op as GetOperation);
    });
    const results = await Promise.all(reads);
    await this.applyPuts([...puts.values()]);
    return results as OperationResults<Op>;
  }

  private async get_(op: GetOperation): Promise<Item | null> {
    validateNamespace(op.namespace);
    const [record] = await this.store.records.get(this.scope, [itemKey(op.namespace, op.key)]);
    return record ? toItem(record.value as unknown as StoredItem) : null;
  }

  private async search_(op: SearchOperation): Promise<SearchItem[]> {
    validateNamespace(op.namespacePrefix, { allowEmpty: true, allowReservedRoot: true });
    const offset = op.offset ?? 0;
    const limit = op.limit ?? 10;
    const found: SearchItem[] = [];
    let skipped = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.records.range(this.scope, {
        prefix: namespacePrefix(op.namespacePrefix),
        limit: op.filter ? PAGE : Math.min(PAGE, Math.max(1, offset + limit - skipped - found.length)),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const record of page.items) {
        const item = record.value as unknown as StoredItem;
        if (op.filter && !matchesFilter(item.value, op.filter)) continue;
        if (skipped < offset) skipped++;
        else if (found.length < limit) found.push(toItem(item));
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined && found.length < limit);
    return found;
  }

  private async listNamespaces_(op: ListNamespacesOperation): Promise<string[][]> {
    const conditions = op.matchConditions ?? [];
    const literalPrefix =
      conditions.find((c) => c.matchType === "prefix" && !c.path.includes("*"))?.path ?? [];
    const prefix = namespacePrefix(literalPrefix as string[]);
    const offset = op.offset ?? 0;
    const limit = op.limit ?? 100;
    const found: string[][] = [];
    let skipped = 0;
    let after: string | undefined;
    // Skip-scan: each range of one record finds the next namespace, then jumps past all of it.
    while (found.length < limit) {
      const page = await this.store.records.range(this.scope, {
        prefix,
        limit: 1,
        ...(after === undefined ? {} : { after }),
      });
      const record = page.items[0];
      if (!record) break;
      const { namespace } = record.value as unknown as StoredItem;
      const shown = op.maxDepth === undefined ? namespace : namespace.slice(0, op.maxDepth);
      after =
        op.maxDepth !== undefined && namespace.length >= op.maxDepth
          ? `${namespacePrefix(shown).slice(0, -1)}0` // past every key under the truncated namespace
          : `${namespacePrefix(namespace)};`; // past the namespace's own items (";" follows ":")
      if (!conditions.every((c) => matches(c, shown))) continue;
      if (skipped < offset) skipped++;
      else found.push(shown);
    }
    return found;
  }

  /** Reads the items first (for `createdAt`), then writes each conditioned on what it read; retries on a race. */
  private async applyPuts(puts: PutOperation[]): Promise<void> {
    for (let i = 0; i < puts.length; i += PAGE) {
      let pending = puts.slice(i, i + PAGE);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const keys = pending.map((p) => itemKey(p.namespace, p.key));
        const existing = await this.store.records.get(this.scope, keys);
        const now = Date.now();
        const ops = pending.map((p, j): RecordOp => {
          const current = existing[j];
          const ifVersion = current?.version ?? 0;
          if (p.value === null) return { delete: keys[j] as string, ifVersion };
          const createdAt = current ? (current.value as unknown as StoredItem).createdAt : now;
          const value: StoredItem = {
            namespace: p.namespace,
            key: p.key,
            value: p.value as Json,
            createdAt,
            updatedAt: now,
          };
          return { put: keys[j] as string, value: value as unknown as Json, ifVersion };
        });
        try {
          await this.store.records.write(this.scope, ops);
          pending = [];
        } catch (error) {
          if (!isStateStoreError(error, "VERSION_CONFLICT") || attempt >= MAX_ATTEMPTS) throw error;
          // Non-atomic: the ops that did apply are retried harmlessly (they read the new version next time).
        }
      }
    }
  }
}

function namespacePrefix(namespace: string[]): string {
  return `i/${namespace.map((label) => `${segment(label)}/`).join("")}`;
}

function itemKey(namespace: string[], key: string): string {
  if (typeof key !== "string" || key.length === 0)
    throw new ValidationError("key", "must be a non-empty string");
  return `${namespacePrefix(namespace)}:${segment(key)}`;
}

function toItem(stored: StoredItem): Item {
  return {
    namespace: stored.namespace,
    key: stored.key,
    value: stored.value as Record<string, unknown>,
    createdAt: new Date(stored.createdAt),
    updatedAt: new Date(stored.updatedAt),
  };
}

function matches(condition: MatchCondition, namespace: string[]): boolean {
  const { path } = condition;
  if (path.length > namespace.length) return false;
  const start = condition.matchType === "prefix" ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === "*" || namespace[start + i] === label);
}

const OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]);

/** LangGraph's store filter: per key, a value (deep equality) or operators ($eq, $ne, $gt, …, $in, $nin). */
function matchesFilter(value: Json, filter: Record<string, unknown>): boolean {
  const object = (value ?? {}) as Record<string, unknown>;
  return Object.entries(filter).every(([key, wanted]) => {
    const actual = object[key];
    const isOperators =
      typeof wanted === "object" &&
      wanted !== null &&
      !Array.isArray(wanted) &&
      Object.keys(wanted).length > 0 &&
      Object.keys(wanted).every((k) => OPERATORS.has(k));
    if (!isOperators) return isDeepStrictEqual(actual, wanted);
    return Object.entries(wanted as Record<string, unknown>).every(([op, operand]) => {
      switch (op) {
        case "$eq":
          return isDeepStrictEqual(actual, operand);
        case "$ne":
          return !isDeepStrictEqual(actual, operand);
        case "$gt":
          return Number(actual) > Number(operand);
        case "$gte":
          return Number(actual) >= Number(operand);
        case "$lt":
          return Number(actual) < Number(operand);
        case "$lte":
          return Number(actual) <= Number(operand);
        case "$in":
          return Array.isArray(operand) && operand.some((o) => isDeepStrictEqual(actual, o));
        default:
          return !Array.isArray(operand) || !operand.some((o) => isDeepStrictEqual(actual, o));
      }
    });
  });
}
