import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

/** The first ```ts block after `heading` in a Markdown file (so docs' examples can be run by tests). */
export function codeBlockAfter(markdownUrl: URL, heading: string): string {
  const text = readFileSync(markdownUrl, "utf8");
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`${fileURLToPath(markdownUrl)} has no heading ${JSON.stringify(heading)}`);
  const code = /```ts\n([\s\S]*?)```/.exec(text.slice(start))?.[1];
  if (!code)
    throw new Error(`${fileURLToPath(markdownUrl)} has no ts block after ${JSON.stringify(heading)}`);
  return code;
}

export interface MarkdownExampleRun {
  /** The example's code as it stands in the Markdown. */
  code: string;
  /** What the example module exports (see `append`). */
  module: Record<string, unknown>;
  /** The arguments of every console.log the example made while it was imported. */
  printed: unknown[][];
  /** The text after the example's `// → ` comment parsed as JSON list items, or undefined if it has none. */
  promised: unknown[] | undefined;
}

/**
 * Runs a Markdown example: writes the first ```ts block after `heading` into a scratch folder beside the
 * Markdown file (so its imports resolve as the package's own do), imports it with console.log captured,
 * and removes what it wrote. `append` adds code after the example, e.g. `export { store };`.
 */
export async function runMarkdownExample(
  markdownUrl: URL,
  heading: string,
  options: { append?: string } = {},
): Promise<MarkdownExampleRun> {
  const code = codeBlockAfter(markdownUrl, heading);
  const scratch = new URL("./.readme-run/", markdownUrl);
  const slug = heading
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
  const file = new URL(`${slug || "example"}-${process.pid}.ts`, scratch);
  mkdirSync(scratch, { recursive: true });
  writeFileSync(file, options.append ? `${code}\n${options.append}\n` : code);
  const printed: unknown[][] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args));
  try {
    const module = (await import(/* @vite-ignore */ file.href)) as Record<string, unknown>;
    const arrow = /\/\/ → (.*)/.exec(code)?.[1];
    return { code, module, printed, promised: arrow === undefined ? undefined : JSON.parse(`[${arrow}]`) };
  } finally {
    log.mockRestore();
    rmSync(file, { force: true });
    try {
      rmdirSync(scratch); // only once empty: another test file may be running its example beside this one
    } catch {}
  }
}
