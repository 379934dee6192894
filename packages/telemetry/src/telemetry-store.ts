import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Json,
  type Millis,
  observationOf,
  type PreferenceStore,
  type RecordStore,
  type SessionStore,
  STORE_OBSERVATION,
  type StateStore,
  type StoreCollections,
  type StoreEvent,
  type StoreObservation,
  type StoreStats,
  type ToolCache,
} from "@agent-state/core";
import {
  type Attributes,
  type Counter,
  context,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { ATTR, DURATION_BUCKETS_SECONDS, METRICS } from "./names.js";
import { UsageRecorder, type UsageSnapshot } from "./usage.js";

/** Options of `withTelemetry`. */
export interface TelemetryOptions {
  /** Where spans go; default the global provider (`trace.getTracerProvider()`): a no-op until an SDK registers. */
  tracerProvider?: TracerProvider;
  /** Where metrics go; default the global provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /** `db.system.name`; default what the store says of itself (`aws.dynamodb`, `redis`, `memory`), else `other`. */
  system?: string;
  /** `db.collection.name` per kind of state; default the store's table names or key prefix. */
  collections?: Partial<StoreCollections>;
  /** Time source of the usage window and the reads-per-second measurement (not of span times). Default `Date.now`. */
  now?: () => Millis;
}

const SCOPE = "@agent-state/telemetry";
const VERSION = "0.1.0";
type Kind = keyof StoreCollections;

/** What the decorator knows about the store call in progress (found again through AsyncLocalStorage). */
interface CallContext {
  operation: string;
  span: Span;
  requests: number;
  readUnits: number;
  writeUnits: number;
}

/**
 * Wraps any `StateStore` so that every call is one OpenTelemetry span (named `<db.operation.name>
 * <db.collection.name>`, e.g. `sessions.append agent-sessions`, kind CLIENT, a child of the active context)
 * and one `db.client.operation.duration` measurement, with the DynamoDB capacity, DAX read sources, failovers,
 * throttles and retries the store reports attributed to the call that caused them. Spans and metrics carry
 * ids, names, counts and units, never stored content (messages, state, values, parameters). Depends on
 * `@opentelemetry/api` only: without a registered SDK it is a no-op apart from the in-process usage counts
 * (`usage()`, the cost meter's input). `close()` closes the wrapped store.
 */
export function withTelemetry(store: StateStore, options: TelemetryOptions = {}): TelemetryStateStore {
  return new TelemetryStateStore(store, options);
}

/** The `StateStore` that `withTelemetry` returns; `usage()` is what it measured. */
export class TelemetryStateStore implements StateStore {
  readonly sessions: SessionStore;
  readonly toolCache: ToolCache;
  readonly preferences: PreferenceStore;
  readonly records: RecordStore;
  /** `db.system.name` of the spans and metrics. */
  readonly system: string;
  /** `db.collection.name` of each kind of state. */
  readonly collections: StoreCollections;
  private readonly tracer: Tracer;
  private readonly duration: Histogram;
  private readonly capacity: Counter;
  private readonly requests: Counter;
  private readonly lookups: Counter;
  private readonly readsServed: Counter;
  private readonly failovers: Counter;
  private readonly throttles: Counter;
  private readonly retries: Counter;
  private readonly recorder: UsageRecorder;
  /** Set when the store reports events: then each call runs inside it, so its events find their call. */
  private readonly calls: AsyncLocalStorage<CallContext> | null;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    /** The wrapped store. */
    readonly inner: StateStore,
    options: TelemetryOptions = {},
  ) {
    const observation = observationOf(inner);
    this.system = options.system ?? observation?.system ?? "other";
    const fallback = observation?.collections;
    this.collections = {
      sessions: options.collections?.sessions ?? fallback?.sessions ?? "sessions",
      toolCache: options.collections?.toolCache ?? fallback?.toolCache ?? "tool-cache",
      preferences: options.collections?.preferences ?? fallback?.preferences ?? "preferences",
      records: options.collections?.records ?? fallback?.records ?? "records",
    };
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, VERSION);
    const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION);
    this.duration = meter.createHistogram(METRICS.operationDuration, {
      unit: "s",
      description: "Duration of agent-state store calls.",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
    });
    this.capacity = meter.createCounter(METRICS.capacity, {
      unit: "{capacity_unit}",
      description: "DynamoDB read and write capacity units consumed, as DynamoDB reported them.",
    });
    this.requests = meter.createCounter(METRICS.requests, {
      unit: "{request}",
      description: "DynamoDB requests sent.",
    });
    this.lookups = meter.createCounter(METRICS.toolCacheLookups, {
      unit: "{lookup}",
      description: "Tool-cache lookups, hits and misses.",
    });
    this.readsServed = meter.createCounter(METRICS.readsServed, {
      unit: "{read}",
      description: "Cacheable reads by where they were answered: in-process cache, DAX, DynamoDB.",
    });
    this.failovers = meter.createCounter(METRICS.failovers, {
      unit: "{failover}",
      description: "Region failovers.",
    });
    this.throttles = meter.createCounter(METRICS.throttles, {
      unit: "{request}",
      description: "Requests the backend throttled.",
    });
    this.retries = meter.createCounter(METRICS.retries, {
      unit: "{request}",
      description: "Requests the backend's client re-sent.",
    });
    this.recorder = new UsageRecorder(options.now ?? Date.now);
    this.calls = observation?.emitsEvents ? new AsyncLocalStorage<CallContext>() : null;
    this.unsubscribe = observation?.emitsEvents
      ? observation.subscribe((event) => this.onEvent(event))
      : () => {};
    this.sessions = this.wrapSessions(inner.sessions);
    this.toolCache = this.wrapToolCache(inner.toolCache);
    this.preferences = this.wrapPreferences(inner.preferences);
    this.records = this.wrapRecords(inner.records);
  }

  /** The wrapped store's own description, with this decorator's names (so a decorator on top sees the same). */
  get [STORE_OBSERVATION](): StoreObservation {
    const inner = observationOf(this.inner);
    return {
      system: this.system,
      collections: this.collections,
      emitsEvents: inner?.emitsEvents ?? false,
      subscribe: (listener) => inner?.subscribe(listener) ?? (() => {}),
    };
  }

  /** What was measured since the store was wrapped (or since `resetUsage()`): the cost meter's input. */
  usage(): UsageSnapshot {
    return this.recorder.snapshot();
  }

  /** Starts a new measurement window. */
  resetUsage(): void {
    this.recorder.reset();
  }

  stats(): Promise<StoreStats> {
    return this.run("stats", null, undefined, () => this.inner.stats());
  }

  /** Closes the wrapped store; events it reports afterwards are ignored. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.run("close", null, undefined, () => this.inner.close());
    } finally {
      this.unsubscribe();
    }
  }

  /**
   * One store call: a span, the duration measurement, the usage count, and (for a store that reports events)
   * a call context its events are attributed to. `describe` adds attributes from the result (counts, hit/miss).
   */
  private async run<T>(
    operation: string,
    kind: Kind | null,
    conversationId: string | undefined,
    call: () => Promise<T>,
    describe?: (result: T, span: Span) => void,
  ): Promise<T> {
    const collection = kind === null ? undefined : this.collections[kind];
    const span = this.tracer.startSpan(
      collection === undefined ? operation : `${operation} ${collection}`,
      { kind: SpanKind.CLIENT },
      context.active(),
    );
    const recording = span.isRecording();
    const attributes: Attributes = { [ATTR.system]: this.system, [ATTR.operation]: operation };
    if (collection !== undefined) attributes[ATTR.collection] = collection;
    if (recording) {
      span.setAttributes(attributes);
      if (conversationId !== undefined) span.setAttribute(ATTR.conversationId, conversationId);
    }
    this.recorder.call(operation);
    const started = performance.now();
    const callContext: CallContext | null =
      this.calls === null ? null : { operation, span, requests: 0, readUnits: 0, writeUnits: 0 };
    try {
      const result = await (callContext === null || this.calls === null
        ? call()
        : this.calls.run(callContext, call));
      if (describe !== undefined) describe(result, span);
      this.duration.record((performance.now() - started) / 1000, attributes);
      return result;
    } catch (error) {
      const errorType = errorTypeOf(error);
      attributes[ATTR.errorType] = errorType;
      if (recording) {
        span.setAttribute(ATTR.errorType, errorType);
        // The code only: an error's message may quote what the caller passed in.
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      }
      this.duration.record((performance.now() - started) / 1000, attributes);
      throw error;
    } finally {
      if (callContext !== null && recording && callContext.requests > 0) {
        span.setAttributes({
          [ATTR.requests]: callContext.requests,
          [ATTR.readUnits]: callContext.readUnits,
          [ATTR.writeUnits]: callContext.writeUnits,
        });
      }
      span.end();
    }
  }

  private onEvent(event: StoreEvent): void {
    if (this.closed) return;
    const call = this.calls?.getStore();
    const operation = call?.operation ?? "background";
    switch (event.type) {
      case "capacity": {
        const isRequest = event.requests === 1;
        if (call !== undefined) {
          if (isRequest) call.requests++;
          call.readUnits += event.readUnits;
          call.writeUnits += event.writeUnits;
        }
        this.recorder.capacityUsed(event.table, operation, event.readUnits, event.writeUnits, isRequest);
        const base = {
          [ATTR.system]: this.system,
          [ATTR.operation]: operation,
          [ATTR.collection]: event.table,
          [ATTR.request]: event.request,
        };
        if (isRequest) this.requests.add(1, base);
        if (event.readUnits > 0) this.capacity.add(event.readUnits, { ...base, [ATTR.capacityType]: "read" });
        if (event.writeUnits > 0)
          this.capacity.add(event.writeUnits, { ...base, [ATTR.capacityType]: "write" });
        return;
      }
      case "read":
        this.recorder.readServed(event.servedBy);
        this.readsServed.add(1, { [ATTR.system]: this.system, [ATTR.readSource]: event.servedBy });
        return;
      case "failover":
        this.recorder.failover();
        this.failovers.add(1, {
          [ATTR.system]: this.system,
          [ATTR.fromRegion]: event.from ?? "none",
          [ATTR.toRegion]: event.to ?? "none",
        });
        return;
      case "throttle":
        this.recorder.throttle();
        this.throttles.add(1, {
          [ATTR.system]: this.system,
          [ATTR.operation]: operation,
          [ATTR.request]: event.request,
        });
        return;
      case "retry":
        this.recorder.retry(event.count);
        this.retries.add(event.count, {
          [ATTR.system]: this.system,
          [ATTR.operation]: operation,
          [ATTR.request]: event.request,
        });
        return;
    }
  }

  private wrapSessions(inner: SessionStore): SessionStore {
    const recorder = this.recorder;
    return {
      create: (init) =>
        this.run(
          "sessions.create",
          "sessions",
          init?.sessionId,
          () => inner.create(init),
          (session, span) => {
            if (init?.sessionId === undefined && span.isRecording())
              span.setAttribute(ATTR.conversationId, session.sessionId);
            recorder.sessionWrite(session.sessionId);
          },
        ),
      get: (sessionId, opts) => {
        recorder.sessionRead(sessionId);
        return this.run("sessions.get", "sessions", sessionId, () => inner.get(sessionId, opts));
      },
      update: (sessionId, changes, opts) => {
        recorder.sessionWrite(sessionId);
        return this.run("sessions.update", "sessions", sessionId, () =>
          inner.update(sessionId, changes, opts),
        );
      },
      append: (sessionId, messages, opts) => {
        recorder.sessionWrite(sessionId);
        return this.run(
          "sessions.append",
          "sessions",
          sessionId,
          () => inner.append(sessionId, messages, opts),
          (appended, span) => {
            if (span.isRecording()) span.setAttribute(ATTR.messageCount, appended.length);
          },
        );
      },
      truncate: (sessionId, opts) => {
        recorder.sessionWrite(sessionId);
        return this.run(
          "sessions.truncate",
          "sessions",
          sessionId,
          () => inner.truncate(sessionId, opts),
          (removed, span) => {
            if (span.isRecording()) span.setAttribute(ATTR.messageCount, removed.length);
          },
        );
      },
      messages: (sessionId, opts) => {
        recorder.sessionRead(sessionId);
        return this.run(
          "sessions.messages",
          "sessions",
          sessionId,
          () => inner.messages(sessionId, opts),
          (page, span) => {
            if (span.isRecording()) span.setAttribute(ATTR.messageCount, page.items.length);
          },
        );
      },
      delete: (sessionId) => {
        recorder.sessionWrite(sessionId);
        return this.run("sessions.delete", "sessions", sessionId, () => inner.delete(sessionId));
      },
      listByUser: (userId, opts) =>
        this.run("sessions.listByUser", "sessions", undefined, () => inner.listByUser(userId, opts)),
    };
  }

  private wrapToolCache(inner: ToolCache): ToolCache {
    const toolSpan = (span: Span, toolName: string) => {
      if (span.isRecording()) span.setAttribute(ATTR.toolName, toolName);
    };
    return {
      get: <T extends Json>(toolName: string, params: Record<string, Json>) =>
        this.run(
          "toolCache.get",
          "toolCache",
          undefined,
          () => inner.get<T>(toolName, params),
          (result, span) => {
            const hit = result !== null;
            toolSpan(span, toolName);
            if (span.isRecording()) span.setAttribute(ATTR.cacheResult, hit ? "hit" : "miss");
            this.recorder.toolCacheLookup(hit);
            this.lookups.add(1, {
              [ATTR.system]: this.system,
              [ATTR.toolName]: toolName,
              [ATTR.cacheResult]: hit ? "hit" : "miss",
            });
          },
        ),
      set: (toolName, params, value, opts) =>
        this.run(
          "toolCache.set",
          "toolCache",
          undefined,
          () => inner.set(toolName, params, value, opts),
          (_r, span) => toolSpan(span, toolName),
        ),
      invalidate: (toolName, params) =>
        this.run(
          "toolCache.invalidate",
          "toolCache",
          undefined,
          () => inner.invalidate(toolName, params),
          (_r, span) => toolSpan(span, toolName),
        ),
    };
  }

  private wrapPreferences(inner: PreferenceStore): PreferenceStore {
    return {
      get: (userId, agentId) =>
        this.run("preferences.get", "preferences", undefined, () => inner.get(userId, agentId)),
      set: (userId, agentId, values, opts) =>
        this.run("preferences.set", "preferences", undefined, () => inner.set(userId, agentId, values, opts)),
      patch: (userId, agentId, changes, opts) =>
        this.run("preferences.patch", "preferences", undefined, () =>
          inner.patch(userId, agentId, changes, opts),
        ),
      delete: (userId, agentId) =>
        this.run("preferences.delete", "preferences", undefined, () => inner.delete(userId, agentId)),
    };
  }

  private wrapRecords(inner: RecordStore): RecordStore {
    const count = (n: number) => (_r: unknown, span: Span) => {
      if (span.isRecording()) span.setAttribute(ATTR.recordCount, n);
    };
    return {
      get: (scope, keys) =>
        this.run(
          "records.get",
          "records",
          undefined,
          () => inner.get(scope, keys),
          count(Array.isArray(keys) ? keys.length : 0),
        ),
      range: (scope, opts) =>
        this.run(
          "records.range",
          "records",
          undefined,
          () => inner.range(scope, opts),
          (page, span) => {
            if (span.isRecording()) span.setAttribute(ATTR.recordCount, page.items.length);
          },
        ),
      write: (scope, ops, opts) =>
        this.run(
          "records.write",
          "records",
          undefined,
          () => inner.write(scope, ops, opts),
          count(Array.isArray(ops) ? ops.length : 0),
        ),
      clear: (scope) => this.run("records.clear", "records", undefined, () => inner.clear(scope)),
    };
  }
}

/** `error.type`: the store error's stable `code`, else the error's class name, else `_OTHER`. */
function errorTypeOf(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === "string" && code !== "") return code;
    if (typeof name === "string" && name !== "") return name;
  }
  return "_OTHER";
}
