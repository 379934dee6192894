import type { StateStore } from "@agent-state/core";
import {
  type CostReport,
  type Deployment,
  projectMonthlyCost,
  type TelemetryStateStore,
  withTelemetry,
} from "@agent-state/telemetry";
import { context, propagation, type TracerProvider, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider as SdkTracerProvider } from "@opentelemetry/sdk-trace";
import { ConfigError } from "../config.js";

/** The server's OpenTelemetry: the store wrapped in `withTelemetry`, `/metrics` text, the cost report. */
export interface Observability {
  /** The store every route and tool uses, instrumented. */
  store: TelemetryStateStore;
  /** Every metric in the Prometheus text exposition format (what `GET /metrics` serves). */
  metricsText(): Promise<string>;
  /** The month projected from what this process measured (what `GET /state/cost` serves). */
  costReport(): CostReport;
  /** True when spans and metrics also go to an OTLP endpoint. */
  readonly otlp: boolean;
  /** Flushes and stops the exporters (the store is closed by its owner). */
  shutdown(): Promise<void>;
}

export interface ObservabilityOptions {
  /** Environment: `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP export only when set), `AGENT_STATE_COST_*`, `AGENT_STATE_DAX_*`. */
  env: NodeJS.ProcessEnv;
  /** Spans go here instead of the global provider (tests). */
  tracerProvider?: TracerProvider;
}

/**
 * Builds the SDK side the library leaves to the application: a MeterProvider read by `/metrics` (and pushed
 * over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, which also exports spans), the W3C trace-context
 * propagator and an AsyncLocalStorage context manager (so an MCP request's `traceparent` parents the tool and
 * store spans). Without the OTLP variable nothing leaves the process.
 */
export function createObservability(store: StateStore, options: ObservabilityOptions): Observability {
  const { env } = options;
  const deployment = costDeployment(env);
  const endpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT)?.replace(/\/+$/, "");
  const otlp = endpoint !== undefined;
  registerContextOnce();

  const scrape = new PrometheusExporter({ preventServerStart: true });
  const readers: MetricReader[] = [scrape];
  // The signal paths per the OTLP exporter spec: <endpoint>/v1/traces and <endpoint>/v1/metrics.
  if (endpoint !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      }),
    );
  }
  const meterProvider = new MeterProvider({ readers });
  let ownTracer: SdkTracerProvider | null = null;
  if (options.tracerProvider === undefined && endpoint !== undefined) {
    const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces` });
    ownTracer = new SdkTracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
    trace.setGlobalTracerProvider(ownTracer);
  }
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const instrumented = withTelemetry(store, { tracerProvider, meterProvider });
  const serializer = new PrometheusSerializer();
  const costReport = () =>
    projectMonthlyCost({ usage: instrumented.usage(), collections: instrumented.collections, deployment });
  try {
    costReport();
  } catch (error) {
    // An unpriced region or DAX node type: say so at start, not on the first /state/cost.
    void meterProvider.shutdown();
    throw new ConfigError(`cost settings: ${error instanceof Error ? error.message : String(error)}`);
  }

  return {
    store: instrumented,
    otlp,
    async metricsText() {
      const { resourceMetrics } = await scrape.collect();
      return serializer.serialize(withUnitSuffixes(resourceMetrics));
    },
    costReport,
    async shutdown() {
      await Promise.allSettled([meterProvider.shutdown(), ownTracer?.shutdown()]);
    },
  };
}

let contextRegistered = false;

/** The global context manager and propagator, once per process (an application may have set its own first). */
function registerContextOnce(): void {
  if (contextRegistered) return;
  contextRegistered = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Prometheus unit suffixes of the OpenTelemetry units this server's metrics use. */
const UNIT_SUFFIXES: Record<string, string> = { s: "seconds", By: "bytes" };

/**
 * Adds the unit to metric names the way the OpenTelemetry → Prometheus compatibility rules do
 * (`db.client.operation.duration`, unit `s` → `db_client_operation_duration_seconds`); the serializer of
 * `@opentelemetry/exporter-prometheus` 0.301 leaves it out.
 */
function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const suffix = UNIT_SUFFIXES[metric.descriptor.unit];
        if (suffix === undefined || metric.descriptor.name.endsWith(`.${suffix}`)) return metric;
        return {
          ...metric,
          descriptor: { ...metric.descriptor, name: `${metric.descriptor.name}.${suffix}` },
        };
      }),
    })),
  };
}

/**
 * The deployment the cost report prices, from the environment: `AGENT_STATE_COST_REGION` (default us-east-1),
 * `AGENT_STATE_COST_REPLICAS` (Global Tables replicas besides home, default 0), `AGENT_STATE_DAX_NODE_TYPE` and
 * `AGENT_STATE_DAX_NODES` (a deployed DAX cluster; absent: none).
 */
export function costDeployment(env: NodeJS.ProcessEnv): Deployment {
  const region = nonEmpty(env.AGENT_STATE_COST_REGION) ?? "us-east-1";
  const replicaRegions = wholeNumber("AGENT_STATE_COST_REPLICAS", env.AGENT_STATE_COST_REPLICAS, 0);
  const nodeType = nonEmpty(env.AGENT_STATE_DAX_NODE_TYPE);
  const nodes = wholeNumber(
    "AGENT_STATE_DAX_NODES",
    env.AGENT_STATE_DAX_NODES,
    nodeType === undefined ? 0 : 3,
  );
  if (nodeType === undefined && nodes > 0)
    throw new ConfigError("AGENT_STATE_DAX_NODES needs AGENT_STATE_DAX_NODE_TYPE");
  if (nodeType !== undefined && nodes < 1) throw new ConfigError("AGENT_STATE_DAX_NODES must be ≥ 1");
  return { region, replicaRegions, dax: nodeType === undefined ? null : { nodeType, nodes } };
}

function wholeNumber(name: string, raw: string | undefined, fallback: number): number {
  const value = nonEmpty(raw);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value))
    throw new ConfigError(`${name} must be a whole number; got ${JSON.stringify(value)}`);
  return Number(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
