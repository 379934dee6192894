/**
 * AWS list prices the cost meter uses (USD). Override any of them with `prices` (your region, your discount).
 * Sources and dates are in the README ("Prices").
 */
export interface PriceTable {
  /** On-demand, per write request unit (1 KB written). */
  writeRequestUnitUsd: number;
  /** On-demand, per read request unit (one strongly consistent read up to 4 KB; an eventual one is half). */
  readRequestUnitUsd: number;
  /** Global Tables: per replicated write request unit, billed in each replica region. */
  replicatedWriteRequestUnitUsd: number;
  /** Standard table class storage, per GB-month. */
  storageGbMonthUsd: number;
  /** DAX, per node-hour by node type (no free tier, no scale to zero). */
  daxNodeHourUsd: Record<string, number>;
}

/** us-east-1 (N. Virginia), on-demand, after the November 2024 price cut. */
export const US_EAST_1_PRICES: PriceTable = {
  writeRequestUnitUsd: 0.625 / 1e6,
  readRequestUnitUsd: 0.125 / 1e6,
  replicatedWriteRequestUnitUsd: 0.625 / 1e6,
  storageGbMonthUsd: 0.25,
  daxNodeHourUsd: { "dax.t3.small": 0.04 },
};

/** The regions with a built-in price table; any other region needs `prices`. */
export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = { "us-east-1": US_EAST_1_PRICES };

/** Hours in the month the projection bills (AWS pricing pages use 730). */
export const HOURS_PER_MONTH = 730;
