/**
 * What a backend or decorator reports about the work behind store calls, for telemetry (`withTelemetry` in
 * `@agent-state/telemetry` subscribes). Ids, names and units only: never stored content.
 */
export type StoreEvent =
  /**
   * The capacity one DynamoDB request consumed, as DynamoDB reported it (`ReturnConsumedCapacity`), plus 1 WCU
   * per failed condition (billed, never reported). `request` is the DynamoDB operation (`TransactWriteItems`);
   * `requests` is 1 on the first event of a request (one per table it touched) and 0 on the others, so that
   * summing it counts requests, the failed and unreported ones included.
   */
  | {
      type: "capacity";
      table: string;
      request: string;
      requests: 0 | 1;
      readUnits: number;
      writeUnits: number;
    }
  /** Where a cacheable read was answered: the in-process cache, DAX, or DynamoDB itself. */
  | { type: "read"; servedBy: "l1" | "dax" | "dynamodb" }
  /** Operations moved from one region to another (`to` null: every region is down). */
  | { type: "failover"; from: string | null; to: string | null }
  /** The backend throttled a request (`request` is its operation); the client may have retried it. */
  | { type: "throttle"; request: string }
  /** The backend's client sent a request `count` more times than once (retries after errors or throttling). */
  | { type: "retry"; request: string; count: number };

/** Names that a kind of state lives under: a table name, or a key prefix. */
export interface StoreCollections {
  readonly sessions: string;
  readonly toolCache: string;
  readonly preferences: string;
  readonly records: string;
}

/** How a store describes itself to telemetry, and where it reports its `StoreEvent`s. */
export interface StoreObservation {
  /** OpenTelemetry `db.system.name`: `aws.dynamodb`, `redis`, `memory`. */
  readonly system: string;
  /** `db.collection.name` of each kind of state. */
  readonly collections: StoreCollections;
  /** False when the store never emits events (telemetry then skips attributing them to calls). */
  readonly emitsEvents: boolean;
  /**
   * Calls `listener` synchronously, inside the async context of the store call that caused it, for each event
   * from now on; returns the unsubscribe function. A listener must not throw.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/**
 * The property under which a store (or a decorator, forwarding its inner store's) exposes its
 * `StoreObservation`. A registered symbol, so two copies of this package agree on it.
 */
export const STORE_OBSERVATION: unique symbol = Symbol.for("agent-state.store-observation");

/** A store that describes itself to telemetry. */
export interface ObservableStore {
  readonly [STORE_OBSERVATION]: StoreObservation;
}

/** The store's `StoreObservation`, or undefined when it offers none. */
export function observationOf(store: object): StoreObservation | undefined {
  const candidate = (store as Partial<ObservableStore>)[STORE_OBSERVATION];
  return typeof candidate === "object" && candidate !== null && typeof candidate.subscribe === "function"
    ? candidate
    : undefined;
}

/** A list of listeners for a store's events; `active` is false while nobody listens (skip the work then). */
export class StoreEventHub {
  private listeners: Array<(event: StoreEvent) => void> = [];

  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** Tells every listener; a listener's failure never reaches the store call. */
  emit(event: StoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // An observer's bug must not fail a store call.
      }
    }
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}

/** An observation with no events (a store whose work has nothing to report beyond its calls). */
export function staticObservation(system: string, collections: StoreCollections): StoreObservation {
  return { system, collections, emitsEvents: false, subscribe: () => () => {} };
}
