import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it, vi } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const workDir = fileURLToPath(new URL("./.readme-run/", import.meta.url));

/** The first ```ts block after the given heading of a README. */
function exampleFrom(readmePath: string, heading: string): string {
  const text = readFileSync(readmePath, "utf8");
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`${readmePath} has no heading ${heading}`);
  const match = /```ts\n([\s\S]*?)```/.exec(text.slice(start));
  if (!match?.[1]) throw new Error(`${readmePath} has no ts block after ${heading}`);
  return match[1];
}

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

it("the root README's usage example runs and prints what it says it prints", async () => {
  const code = exampleFrom(`${root}README.md`, "## Usage");
  mkdirSync(workDir, { recursive: true });
  const file = `${workDir}usage.ts`;
  writeFileSync(file, code);
  const printed: unknown[][] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  const promised = /\/\/ → (.*)/.exec(code)?.[1];
  expect(promised).toBeDefined();
  expect(printed).toEqual([JSON.parse(`[${promised}]`)]);
});
