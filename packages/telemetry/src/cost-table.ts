import type { CostReport } from "./cost.js";

/** The report as a plain-text table (what `agent-state cost` prints): the design's cost table, then the advice. */
export function formatCostReport(report: CostReport): string {
  const lines: Array<[string, string]> = report.rows.map((row) => [row.item, money(row.monthlyUsd)]);
  lines.push(["total without DAX", money(report.totalWithoutDaxUsd)]);
  lines.push(["total with DAX", money(report.totalWithDaxUsd)]);
  const width = Math.max(...lines.map(([label]) => label.length), "item".length);
  const valueWidth = Math.max(...lines.map(([, value]) => value.length), "USD/month".length);
  const rule = `${"-".repeat(width)}  ${"-".repeat(valueWidth)}`;
  const out = [
    `Projected month (${report.region}, ${report.replicaRegions} Global Tables replica(s), from ${report.window.seconds.toFixed(1)} s measured)`,
    "",
    `${"item".padEnd(width)}  ${"USD/month".padStart(valueWidth)}`,
    rule,
    ...lines.map(
      ([label, value], index) =>
        `${index === lines.length - 2 ? `${rule}\n` : ""}${label.padEnd(width)}  ${value.padStart(valueWidth)}`,
    ),
    "",
    "per table and operation:",
    ...report.operations.map(
      (o) =>
        `  ${o.table} ${o.operation}: ${o.requests} requests, ${round(o.readUnits)} RRU, ${round(o.writeUnits)} WRU → ${money(o.monthlyUsd)}/month`,
    ),
    "",
    `DAX advice: ${report.advice.verdict} — ${report.advice.reason}`,
  ];
  return out.join("\n");
}

function money(value: number): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
