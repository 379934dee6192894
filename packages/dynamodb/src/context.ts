import type { BoundedMap, Clock, StoreEventHub } from "@agent-state/core";
import type { DynamoDocumentMethods, DynamoReader, DynamoWriter } from "./client.js";
import type { SortableIdSource } from "./ids.js";
import type { HeadStateCache } from "./record-items.js";
import type { ResolvedTableNames } from "./schema.js";

/** Everything the store's parts share. A view (`withClients`) differs only in `reader`, `writer`, `consistentReads`. */
export interface StoreContext {
  /** The store's own client: strongly consistent reads, key queries before deletes, scans. */
  main: DynamoDocumentMethods;
  /** `main` before capacity reporting (a view's writer wraps this, and is reported itself). */
  unmetered: DynamoDocumentMethods;
  /** Where the store's requests report their capacity (see capacity.ts); a view shares its store's. */
  events: StoreEventHub;
  /** Every write (put, update, delete, batchWrite, transactWrite): `main`, or another client (e.g. DAX). */
  writer: DynamoWriter;
  /** Eventually consistent reads: `main`, or another client (e.g. DAX) in a view. */
  reader: DynamoReader;
  /** True when `reader` is `main`: reads then ask for ConsistentRead (read-your-writes). */
  consistentReads: boolean;
  tables: ResolvedTableNames;
  clock: Clock;
  sessionTtlSeconds: number;
  preferencesTtlSeconds: number;
  /** How long a message item is kept after its append (the `ttl` of message items). */
  messageTtlSeconds: number;
  region: string | null;
  ids: SortableIdSource;
  /** Last-known record head states (a view shares its store's). */
  headStates: HeadStateCache;
  /** Last-known incarnation per session id (a hint: appends condition on it and correct it from ALL_OLD). */
  incarnations: BoundedMap<string, string>;
  /** Background message-ttl refreshes in flight (see message-ttl.ts), awaited by close(). */
  refreshes: Map<string, Promise<void>>;
}

/** `ConsistentRead` for a read sent to `context.reader` (omitted entirely for a separate reader such as DAX). */
export function readConsistency(context: StoreContext): { ConsistentRead?: true } {
  return context.consistentReads ? { ConsistentRead: true } : {};
}
