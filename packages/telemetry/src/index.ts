export { ATTR, DURATION_BUCKETS_SECONDS, METRICS } from "./names.js";
export type { TelemetryOptions } from "./telemetry-store.js";
export { TelemetryStateStore, withTelemetry } from "./telemetry-store.js";
export type { CapacityUsage, SessionReadUsage, UsageSnapshot } from "./usage.js";
