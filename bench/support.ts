import type { Task } from "tinybench";

/** A finished tinybench task's mean throughput (× `opsPerIteration` when one iteration does several ops). */
export function opsPerSecond(task: Task | undefined, opsPerIteration = 1): number {
  const result = task?.result;
  if (!result || (result.state !== "completed" && result.state !== "aborted-with-statistics")) {
    const cause = result && "error" in result ? result.error : undefined;
    throw new Error(`benchmark task ${task?.name ?? "?"} did not complete`, { cause });
  }
  return result.throughput.mean * opsPerIteration;
}

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
