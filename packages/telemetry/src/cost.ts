import { type StoreCollections, ValidationError } from "@agent-state/core";
import { HOURS_PER_MONTH, PRICE_TABLES, type PriceTable } from "./prices.js";
import type { UsageSnapshot } from "./usage.js";

/** Where the store runs (what the measured usage is projected onto). */
export interface Deployment {
  /** The price table's region; default `us-east-1`. */
  region?: string;
  /** Global Tables replicas besides the home region (0: a single-region table). */
  replicaRegions?: number;
  /** The DAX cluster in front of the tables, or null/absent for none. */
  dax?: DaxCluster | null;
  /** Item storage per table name, in bytes (e.g. DescribeTable's TableSizeBytes). Absent tables count 0. */
  storageBytes?: Record<string, number>;
}

export interface DaxCluster {
  nodeType: string;
  nodes: number;
}

/** What `projectMonthlyCost` needs. */
export interface CostInput {
  usage: UsageSnapshot;
  /** The store's collections (`TelemetryStateStore.collections`): which table is which. */
  collections: StoreCollections;
  deployment?: Deployment;
  /** Prices to use instead of (or on top of) the region's table. */
  prices?: Partial<PriceTable>;
  /** The cluster the advice prices when none is deployed; default 3 × dax.t3.small (the smallest production cluster). */
  daxCandidate?: DaxCluster;
}

/**
 * One line of the design's cost table, in USD per month. A `records` line appears only when records have a
 * table of their own (else their cost is in the sessions line).
 */
export interface CostRow {
  item: "sessions" | "tool cache" | "preferences" | "records" | "Global Tables replication" | "DAX";
  monthlyUsd: number;
}

export interface TableCost {
  table: string;
  readUnits: number;
  writeUnits: number;
  storageGb: number;
  monthlyUsd: { reads: number; writes: number; storage: number; total: number };
}

export interface OperationCost {
  table: string;
  operation: string;
  requests: number;
  readUnits: number;
  writeUnits: number;
  monthlyUsd: number;
}

export type DaxVerdict = "add-dax" | "dax-not-needed" | "dax-not-paying" | "keep-dax";

/** Whether DAX pays, and the numbers that decided it. */
export interface DaxAdvice {
  verdict: DaxVerdict;
  /** One sentence with the deciding numbers. */
  reason: string;
  /** The most reads one session received in one second during the window. */
  peakReadsPerSecondPerSession: number;
  /** The design's rule: add DAX above this many reads per second per session. */
  thresholdReadsPerSecond: number;
  /** Share of session reads a read cache answered (DAX deployed) or would have answered (not deployed). */
  cacheableReadShare: number;
  /** Read cost per month DAX removes (or would remove). */
  readSavingsUsd: number;
  /** What the (deployed or candidate) DAX cluster costs per month. */
  daxMonthlyUsd: number;
  cluster: DaxCluster;
  deployed: boolean;
}

/** The month projected from the measured window, shaped like the design's cost table. */
export interface CostReport {
  window: { startedAt: number; endedAt: number; seconds: number };
  region: string;
  prices: PriceTable;
  replicaRegions: number;
  rows: CostRow[];
  tables: TableCost[];
  operations: OperationCost[];
  totalWithoutDaxUsd: number;
  totalWithDaxUsd: number;
  /** The deployment's total: with DAX when one is deployed, else without. */
  monthlyUsd: number;
  advice: DaxAdvice;
}

/** The design's rule of thumb: DAX pays for itself above this many reads per second per session. */
export const DAX_READS_PER_SECOND_THRESHOLD = 1000;
const DEFAULT_CANDIDATE: DaxCluster = { nodeType: "dax.t3.small", nodes: 3 };
const GB = 1024 ** 3;

/**
 * Projects the measured window onto a month (730 hours): request units scale with time, storage does not.
 * Reads DAX (or the in-process cache) answered cost no request units; the total with DAX adds the cluster's
 * node-hours, the total without DAX puts the cached reads back on the tables. Throws `ValidationError` for a
 * region without a price table (pass `prices`), an unpriced DAX node type, or negative counts.
 */
export function projectMonthlyCost(input: CostInput): CostReport {
  const { usage, collections } = input;
  const deployment = input.deployment ?? {};
  const region = deployment.region ?? "us-east-1";
  const base = PRICE_TABLES[region];
  if (base === undefined && !isCompletePriceTable(input.prices)) {
    throw new ValidationError(
      "deployment.region",
      `has no built-in price table (${region}): pass every price in \`prices\``,
    );
  }
  const prices: PriceTable = {
    ...(base as PriceTable),
    ...input.prices,
    daxNodeHourUsd: { ...base?.daxNodeHourUsd, ...input.prices?.daxNodeHourUsd },
  };
  const replicas = nonNegative("deployment.replicaRegions", deployment.replicaRegions ?? 0);
  const seconds = Math.max((usage.endedAt - usage.startedAt) / 1000, 0.001);
  const scale = (HOURS_PER_MONTH * 3600) / seconds;
  const dax = deployment.dax ?? null;
  const cluster = dax ?? input.daxCandidate ?? DEFAULT_CANDIDATE;
  const daxMonthlyUsd = clusterMonthlyUsd(cluster, prices);

  const operations: OperationCost[] = usage.capacity.map((c) => ({
    table: c.table,
    operation: c.operation,
    requests: c.requests,
    readUnits: c.readUnits,
    writeUnits: c.writeUnits,
    monthlyUsd: (c.readUnits * prices.readRequestUnitUsd + c.writeUnits * prices.writeRequestUnitUsd) * scale,
  }));
  const tableNames = new Set([
    collections.sessions,
    collections.toolCache,
    collections.preferences,
    collections.records,
  ]);
  for (const c of usage.capacity) tableNames.add(c.table);
  const tables: TableCost[] = [...tableNames].map((table) => {
    const mine = usage.capacity.filter((c) => c.table === table);
    const readUnits = mine.reduce((s, c) => s + c.readUnits, 0);
    const writeUnits = mine.reduce((s, c) => s + c.writeUnits, 0);
    const storageGb =
      nonNegative(`deployment.storageBytes.${table}`, deployment.storageBytes?.[table] ?? 0) / GB;
    const reads = readUnits * prices.readRequestUnitUsd * scale;
    const writes = writeUnits * prices.writeRequestUnitUsd * scale;
    // Every replica keeps a full copy.
    const storage = storageGb * prices.storageGbMonthUsd * (1 + replicas);
    return {
      table,
      readUnits,
      writeUnits,
      storageGb,
      monthlyUsd: { reads, writes, storage, total: reads + writes + storage },
    };
  });
  const totalWrites = tables.reduce((s, t) => s + t.writeUnits, 0);
  const replicationUsd = totalWrites * replicas * prices.replicatedWriteRequestUnitUsd * scale;

  // Reads a cache can answer: every table's but the tool cache's (its get counts a hit, a write).
  const cacheableReadUsd = tables
    .filter((t) => t.table !== collections.toolCache)
    .reduce((s, t) => s + t.monthlyUsd.reads, 0);
  const served = usage.readsServed;
  const cached = served.l1 + served.dax;
  const ranWithCache = cached > 0;
  let share: number;
  let readSavingsUsd: number;
  if (ranWithCache) {
    share = cached / (cached + served.dynamodb);
    // The measured reads are what DynamoDB still served; put the cached ones back at the same average cost
    // (or, when every read was cached, at one eventually consistent unit each).
    readSavingsUsd =
      served.dynamodb > 0
        ? (cacheableReadUsd * cached) / served.dynamodb
        : cached * 0.5 * prices.readRequestUnitUsd * scale;
  } else {
    const { total, repeatReads } = usage.sessionReads;
    share = total === 0 ? 0 : repeatReads / total;
    readSavingsUsd = cacheableReadUsd * share;
  }
  const tablesUsd = tables.reduce((s, t) => s + t.monthlyUsd.total, 0);
  const measuredTotal = tablesUsd + replicationUsd;
  const totalWithoutDaxUsd = ranWithCache ? measuredTotal + readSavingsUsd : measuredTotal;
  const totalWithDaxUsd = (ranWithCache ? measuredTotal : measuredTotal - readSavingsUsd) + daxMonthlyUsd;

  const row = (item: CostRow["item"], table: string): CostRow => ({
    item,
    monthlyUsd: tables.find((t) => t.table === table)?.monthlyUsd.total ?? 0,
  });
  const ownRecordsTable = ![collections.sessions, collections.toolCache, collections.preferences].includes(
    collections.records,
  );
  const rows: CostRow[] = [
    row("sessions", collections.sessions),
    row("tool cache", collections.toolCache),
    row("preferences", collections.preferences),
    ...(ownRecordsTable ? [row("records", collections.records)] : []),
    { item: "Global Tables replication", monthlyUsd: replicationUsd },
    { item: "DAX", monthlyUsd: dax === null ? 0 : daxMonthlyUsd },
  ];
  const advice = adviseDax({
    peak: usage.sessionReads.peakPerSecondPerSession,
    share,
    readSavingsUsd,
    daxMonthlyUsd,
    cluster,
    deployed: dax !== null,
  });
  return {
    window: { startedAt: usage.startedAt, endedAt: usage.endedAt, seconds },
    region,
    prices,
    replicaRegions: replicas,
    rows,
    tables,
    operations,
    totalWithoutDaxUsd,
    totalWithDaxUsd,
    monthlyUsd: dax === null ? totalWithoutDaxUsd : totalWithDaxUsd,
    advice,
  };
}

function adviseDax(m: {
  peak: number;
  share: number;
  readSavingsUsd: number;
  daxMonthlyUsd: number;
  cluster: DaxCluster;
  deployed: boolean;
}): DaxAdvice {
  const threshold = DAX_READS_PER_SECOND_THRESHOLD;
  const hot = m.peak > threshold;
  const pays = m.readSavingsUsd > m.daxMonthlyUsd;
  const clusterText = `${m.cluster.nodes} × ${m.cluster.nodeType} = ${usd(m.daxMonthlyUsd)}/month`;
  const readsText = `peak ${m.peak} reads/s per session (rule: > ${threshold})`;
  const savingsText = `${percent(m.share)} of session reads cacheable, saving ${usd(m.readSavingsUsd)}/month of reads`;
  let verdict: DaxVerdict;
  let reason: string;
  if (m.deployed) {
    verdict = hot || pays ? "keep-dax" : "dax-not-paying";
    reason =
      verdict === "keep-dax"
        ? `Keep DAX: ${hot ? readsText : `${savingsText} against ${clusterText}`}.`
        : `DAX is not paying for itself: ${readsText}; ${savingsText} against ${clusterText}.`;
  } else {
    verdict = hot || pays ? "add-dax" : "dax-not-needed";
    reason =
      verdict === "add-dax"
        ? `Add DAX: ${hot ? readsText : `${savingsText}, more than ${clusterText}`}.`
        : `DAX not needed: ${readsText}; ${savingsText}, less than ${clusterText}.`;
  }
  return {
    verdict,
    reason,
    peakReadsPerSecondPerSession: m.peak,
    thresholdReadsPerSecond: threshold,
    cacheableReadShare: m.share,
    readSavingsUsd: m.readSavingsUsd,
    daxMonthlyUsd: m.daxMonthlyUsd,
    cluster: m.cluster,
    deployed: m.deployed,
  };
}

function clusterMonthlyUsd(cluster: DaxCluster, prices: PriceTable): number {
  const hourly = prices.daxNodeHourUsd[cluster.nodeType];
  if (hourly === undefined) {
    throw new ValidationError(
      "deployment.dax.nodeType",
      `has no price (${cluster.nodeType}): pass prices.daxNodeHourUsd["${cluster.nodeType}"]`,
    );
  }
  if (!Number.isInteger(cluster.nodes) || cluster.nodes < 1) {
    throw new ValidationError("deployment.dax.nodes", "must be an integer ≥ 1");
  }
  return cluster.nodes * hourly * HOURS_PER_MONTH;
}

function isCompletePriceTable(prices: Partial<PriceTable> | undefined): prices is PriceTable {
  return (
    prices !== undefined &&
    typeof prices.writeRequestUnitUsd === "number" &&
    typeof prices.readRequestUnitUsd === "number" &&
    typeof prices.replicatedWriteRequestUnitUsd === "number" &&
    typeof prices.storageGbMonthUsd === "number" &&
    typeof prices.daxNodeHourUsd === "object"
  );
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(name, "must be a finite number ≥ 0");
  }
  return value;
}

function usd(value: number): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
