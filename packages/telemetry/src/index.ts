export type {
  CostInput,
  CostReport,
  CostRow,
  DaxAdvice,
  DaxCluster,
  DaxVerdict,
  Deployment,
  OperationCost,
  TableCost,
} from "./cost.js";
export { DAX_READS_PER_SECOND_THRESHOLD, projectMonthlyCost } from "./cost.js";
export { formatCostReport } from "./cost-table.js";
export { ATTR, DURATION_BUCKETS_SECONDS, METRICS } from "./names.js";
export type { PriceTable } from "./prices.js";
export { HOURS_PER_MONTH, PRICE_TABLES, US_EAST_1_PRICES } from "./prices.js";
export type { TelemetryOptions } from "./telemetry-store.js";
export { TelemetryStateStore, withTelemetry } from "./telemetry-store.js";
export type { CapacityUsage, SessionReadUsage, UsageSnapshot } from "./usage.js";
