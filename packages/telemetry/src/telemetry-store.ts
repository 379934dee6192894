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
  createNoopMeter,
  type Histogram,
  INVALID_SPAN_CONTEXT,
  type Meter,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
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

const SPAN_OPTIONS = { kind: SpanKind.CLIENT };
/** The provider a proxy delegates to while no SDK is registered. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const INVALID_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
/** The API's no-op meter (what `metrics.getMeter` gives while no SDK is registered). */
const NOOP_METER_CLASS = createNoopMeter().constructor as new () => Meter;

/** One wrapped operation: its name, span name and base attributes (shared by every call). */
interface Operation {
  name: string;
  /** True when the call's result feeds `usage()` (tool-cache hits), not only span attributes. */
  usesResult: boolean;
  /** Its calls so far (the usage recorder's cell: a field increment on the hot path, not a map update). */
  count: { n: number };
  spanName: string;
  attributes: Attributes;
}

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
  private readonly statsOp: Operation;
  /** The global proxy provider when no provider was given (its delegate tells whether an SDK registered). */
  private readonly proxy: ProxyTracerProvider | null;
  /** False when the meter is the API's no-op one (no SDK registered): durations are then not measured. */
  private readonly metering: boolean;

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
    const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
    this.proxy = tracerProvider instanceof ProxyTracerProvider ? tracerProvider : null;
    this.tracer = tracerProvider.getTracer(SCOPE, VERSION);
    const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION);
    this.metering = !(meter instanceof NOOP_METER_CLASS);
    this.duration = meter.createHistogram(METRICS.operationDuration, {
      unit: "s",
      description: "Duration of agent-state store calls.",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
    });
    const counter = (name: string, unit: string, description: string): Counter =>
      meter.createCounter(name, { unit, description });
    this.capacity = counter(
      METRICS.capacity,
      "{capacity_unit}",
      "DynamoDB read and write capacity units consumed, as DynamoDB reported them.",
    );
    this.requests = counter(METRICS.requests, "{request}", "DynamoDB requests sent.");
    this.lookups = counter(METRICS.toolCacheLookups, "{lookup}", "Tool-cache lookups, hits and misses.");
    this.readsServed = counter(
      METRICS.readsServed,
      "{read}",
      "Cacheable reads by where they were answered: in-process cache, DAX, DynamoDB.",
    );
    this.failovers = counter(METRICS.failovers, "{failover}", "Region failovers.");
    this.throttles = counter(METRICS.throttles, "{request}", "Requests the backend throttled.");
    this.retries = counter(METRICS.retries, "{request}", "Requests the backend's client re-sent.");
    this.recorder = new UsageRecorder(options.now ?? Date.now);
    this.calls = observation?.emitsEvents ? new AsyncLocalStorage<CallContext>() : null;
    this.unsubscribe = observation?.emitsEvents
      ? observation.subscribe((event) => this.onEvent(event))
      : () => {};
    this.statsOp = this.op("stats", null);
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
    return this.run(this.statsOp, undefined, () => this.inner.stats());
  }

  /** Closes the wrapped store; events it reports afterwards are ignored. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.run(this.op("close", null), undefined, () => this.inner.close());
    } finally {
      this.unsubscribe();
    }
  }

  /** The fixed parts of one operation's spans and measurements, built once per wrapped method. */
  private op(operation: string, kind: Kind | null): Operation {
    const collection = kind === null ? undefined : this.collections[kind];
    const attributes: Attributes = { [ATTR.system]: this.system, [ATTR.operation]: operation };
    if (collection !== undefined) attributes[ATTR.collection] = collection;
    const op: Operation = {
      name: operation,
      usesResult: operation === "toolCache.get",
      count: this.recorder.counter(operation),
      spanName: collection === undefined ? operation : `${operation} ${collection}`,
      attributes,
    };
    return op;
  }

  /**
   * One store call: a span, the duration measurement, the usage count, and (for a store that reports events)
   * a call context its events are attributed to. `describe` adds attributes from the result (counts, hit/miss).
   * No async function and nothing allocated beyond the span when no SDK records: the hot path stays cheap.
   */
  private run<T>(
    op: Operation,
    conversationId: string | undefined,
    call: () => Promise<T>,
    describe?: (result: T, span: Span) => void,
  ): Promise<T> {
    if (!this.metering && this.calls === null && this.tracingOff()) {
      // Nothing records (no SDK): count the call for usage() and go straight through. Only the tool cache's
      // hit or miss needs the result then (usage); other descriptions are span attributes.
      op.count.n++;
      return describe === undefined || !op.usesResult
        ? call()
        : call().then((result) => {
            describe(result, INVALID_SPAN);
            return result;
          });
    }
    const span = this.tracer.startSpan(op.spanName, SPAN_OPTIONS);
    const recording = span.isRecording();
    if (recording) {
      span.setAttributes(op.attributes);
      if (conversationId !== undefined) span.setAttribute(ATTR.conversationId, conversationId);
    }
    op.count.n++;
    const started = performance.now();
    const calls = this.calls;
    const callContext: CallContext | null =
      calls === null ? null : { operation: op.name, span, requests: 0, readUnits: 0, writeUnits: 0 };
    let pending: Promise<T>;
    try {
      pending = callContext === null || calls === null ? call() : calls.run(callContext, call);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (result) => {
        if (describe !== undefined) describe(result, span);
        this.duration.record((performance.now() - started) / 1000, op.attributes);
        this.endSpan(span, recording, callContext);
        return result;
      },
      (error: unknown) => {
        const errorType = errorTypeOf(error);
        if (recording) {
          span.setAttribute(ATTR.errorType, errorType);
          // The code only: an error's message may quote what the caller passed in.
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
        }
        this.duration.record((performance.now() - started) / 1000, {
          ...op.attributes,
          [ATTR.errorType]: errorType,
        });
        this.endSpan(span, recording, callContext);
        throw error;
      },
    );
  }

  /** True while the global tracer provider (when it is the one in use) has no SDK behind it. */
  private tracingOff(): boolean {
    return this.proxy !== null && this.proxy.getDelegate() === NOOP_TRACER_PROVIDER;
  }

  private endSpan(span: Span, recording: boolean, callContext: CallContext | null): void {
    if (callContext !== null && recording && callContext.requests > 0) {
      span.setAttributes({
        [ATTR.requests]: callContext.requests,
        [ATTR.readUnits]: callContext.readUnits,
        [ATTR.writeUnits]: callContext.writeUnits,
      });
    }
    span.end();
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
    const sessions_append = this.op("sessions.append", "sessions");
    const sessions_create = this.op("sessions.create", "sessions");
    const sessions_delete = this.op("sessions.delete", "sessions");
    const sessions_get = this.op("sessions.get", "sessions");
    const sessions_listByUser = this.op("sessions.listByUser", "sessions");
    const sessions_messages = this.op("sessions.messages", "sessions");
    const sessions_truncate = this.op("sessions.truncate", "sessions");
    const sessions_update = this.op("sessions.update", "sessions");
    const recorder = this.recorder;
    return {
      create: (init) => {
        const givenId = sessionIdIn(init);
        return this.run(
          sessions_create,
          givenId,
          () => inner.create(init),
          (session, span) => {
            if (givenId === undefined && span.isRecording())
              span.setAttribute(ATTR.conversationId, session.sessionId);
            recorder.sessionWrite(session.sessionId);
          },
        );
      },
      get: (sessionId, opts) => {
        recorder.sessionRead(sessionId);
        return this.run(sessions_get, sessionId, () => inner.get(sessionId, opts));
      },
      update: (sessionId, changes, opts) => {
        recorder.sessionWrite(sessionId);
        return this.run(sessions_update, sessionId, () => inner.update(sessionId, changes, opts));
      },
      append: (sessionId, messages, opts) => {
        recorder.sessionWrite(sessionId);
        return this.run(
          sessions_append,
          sessionId,
          () => inner.append(sessionId, messages, opts),
          countOf(ATTR.messageCount, (appended) => appended.length),
        );
      },
      truncate: (sessionId, opts) => {
        recorder.sessionWrite(sessionId);
        return this.run(
          sessions_truncate,
          sessionId,
          () => inner.truncate(sessionId, opts),
          countOf(ATTR.messageCount, (removed) => removed.length),
        );
      },
      messages: (sessionId, opts) => {
        recorder.sessionRead(sessionId);
        return this.run(
          sessions_messages,
          sessionId,
          () => inner.messages(sessionId, opts),
          countOf(ATTR.messageCount, (page) => page.items.length),
        );
      },
      delete: (sessionId) => {
        recorder.sessionWrite(sessionId);
        return this.run(sessions_delete, sessionId, () => inner.delete(sessionId));
      },
      listByUser: (userId, opts) =>
        this.run(sessions_listByUser, undefined, () => inner.listByUser(userId, opts)),
    };
  }

  private wrapToolCache(inner: ToolCache): ToolCache {
    const toolCache_get = this.op("toolCache.get", "toolCache");
    const toolCache_invalidate = this.op("toolCache.invalidate", "toolCache");
    const toolCache_set = this.op("toolCache.set", "toolCache");
    const toolSpan = (span: Span, toolName: string) => {
      if (span.isRecording()) span.setAttribute(ATTR.toolName, toolName);
    };
    return {
      get: <T extends Json>(toolName: string, params: Record<string, Json>) =>
        this.run(
          toolCache_get,
          undefined,
          () => inner.get<T>(toolName, params),
          (result, span) => {
            const hit = result !== null;
            toolSpan(span, toolName);
            if (span.isRecording()) span.setAttribute(ATTR.cacheResult, hit ? "hit" : "miss");
            this.recorder.toolCacheLookup(hit);
            if (this.metering) {
              this.lookups.add(1, {
                [ATTR.system]: this.system,
                [ATTR.toolName]: toolName,
                [ATTR.cacheResult]: hit ? "hit" : "miss",
              });
            }
          },
        ),
      set: (toolName, params, value, opts) =>
        this.run(
          toolCache_set,
          undefined,
          () => inner.set(toolName, params, value, opts),
          (_r, span) => toolSpan(span, toolName),
        ),
      invalidate: (toolName, params) =>
        this.run(
          toolCache_invalidate,
          undefined,
          () => inner.invalidate(toolName, params),
          (_r, span) => toolSpan(span, toolName),
        ),
    };
  }

  private wrapPreferences(inner: PreferenceStore): PreferenceStore {
    const preferences_delete = this.op("preferences.delete", "preferences");
    const preferences_get = this.op("preferences.get", "preferences");
    const preferences_patch = this.op("preferences.patch", "preferences");
    const preferences_set = this.op("preferences.set", "preferences");
    return {
      get: (userId, agentId) => this.run(preferences_get, undefined, () => inner.get(userId, agentId)),
      set: (userId, agentId, values, opts) =>
        this.run(preferences_set, undefined, () => inner.set(userId, agentId, values, opts)),
      patch: (userId, agentId, changes, opts) =>
        this.run(preferences_patch, undefined, () => inner.patch(userId, agentId, changes, opts)),
      delete: (userId, agentId) =>
        this.run(preferences_delete, undefined, () => inner.delete(userId, agentId)),
    };
  }

  private wrapRecords(inner: RecordStore): RecordStore {
    const records_clear = this.op("records.clear", "records");
    const records_get = this.op("records.get", "records");
    const records_range = this.op("records.range", "records");
    const records_write = this.op("records.write", "records");
    const count = (n: number) => countOf(ATTR.recordCount, () => n);
    return {
      get: (scope, keys) =>
        this.run(records_get, undefined, () => inner.get(scope, keys), count(lengthOf(keys))),
      range: (scope, opts) =>
        this.run(
          records_range,
          undefined,
          () => inner.range(scope, opts),
          countOf(ATTR.recordCount, (page) => page.items.length),
        ),
      write: (scope, ops, opts) =>
        this.run(records_write, undefined, () => inner.write(scope, ops, opts), count(lengthOf(ops))),
      clear: (scope) => this.run(records_clear, undefined, () => inner.clear(scope)),
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

/**
 * The session id a `create` was given, read without trusting the input: a getter or Proxy trap that throws is
 * the inner store's to reject (as `VALIDATION`), not the decorator's to crash on.
 */
function sessionIdIn(init: unknown): string | undefined {
  try {
    const id = (init as { sessionId?: unknown } | undefined)?.sessionId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A list argument's length for a span, 0 when it is not a list or cannot be read (the inner store rejects it). */
function lengthOf(list: unknown): number {
  try {
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return 0;
  }
}

/** A result description that sets the span's `attribute` to the count read from the result (when it records). */
function countOf<T>(attribute: string, count: (result: T) => number): (result: T, span: Span) => void {
  return (result, span) => {
    if (span.isRecording()) span.setAttribute(attribute, count(result));
  };
}
