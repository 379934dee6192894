import { type Attributes, context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";

/** Reads the SDK's metrics on demand (what a Prometheus scrape does), cumulative. */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The real OpenTelemetry SDK, with spans kept in memory and metrics collected on demand. */
export interface OtelHarness {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** Every finished span so far (after flushing the processor). */
  spans(): Promise<ReadableSpan[]>;
  metrics(): Promise<ResourceMetrics>;
  /** Sum of a counter's data points whose attributes include `match`. */
  counter(name: string, match?: Attributes): Promise<number>;
  /** Data points of a histogram whose attributes include `match`. */
  histogram(name: string, match?: Attributes): Promise<Array<DataPoint<Histogram>>>;
  reset(): void;
  shutdown(): Promise<void>;
}

let contextManagerSet = false;

/** Registers an AsyncLocalStorage context manager once (so spans started inside an active span are its children). */
export function useAsyncContext(): void {
  if (contextManagerSet) return;
  contextManagerSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

export function otelHarness(): OtelHarness {
  useAsyncContext();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const points = async (name: string, match: Attributes = {}) => {
    const { resourceMetrics } = await reader.collect();
    const found = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name);
    return found
      .flatMap((metric) => metric.dataPoints as Array<DataPoint<unknown>>)
      .filter((point) => Object.entries(match).every(([k, v]) => point.attributes[k] === v));
  };
  return {
    tracerProvider,
    meterProvider,
    spans: async () => {
      await tracerProvider.forceFlush();
      return exporter.getFinishedSpans();
    },
    metrics: async () => (await reader.collect()).resourceMetrics,
    counter: async (name, match) =>
      (await points(name, match)).reduce((sum, point) => sum + (point.value as number), 0),
    histogram: async (name, match) => (await points(name, match)) as Array<DataPoint<Histogram>>,
    reset: () => exporter.reset(),
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** One span as plain data: name, attributes, status, events (for searching and printing). */
export function spanData(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
  };
}
