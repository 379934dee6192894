import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it, vi } from "vitest";
import { LIMITS } from "../src/limits.js";

const readmePath = fileURLToPath(new URL("../README.md", import.meta.url));
const workDir = fileURLToPath(new URL("./.readme-run/", import.meta.url));
const readme = readFileSync(readmePath, "utf8");

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The first ```ts block after `heading`. */
function exampleAfter(heading: string): string {
  const start = readme.indexOf(heading);
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!match?.[1]) throw new Error(`README has no ts block after ${heading}`);
  return match[1];
}

it("the helpers example runs and logs what its comments say", async () => {
  const code = exampleAfter("## Helpers");
  mkdirSync(workDir, { recursive: true });
  const file = `${workDir}helpers-example.ts`;
  writeFileSync(file, code);
  const printed: unknown[][] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  const quoted = [...code.matchAll(/\/\/ [^\n]*?: "([^"]+)"/g)].map((m) => [m[1]]);
  const final = /\/\/ → (.*)/.exec(code)?.[1];
  expect(quoted).toEqual([["miss"], ["hit #1"]]);
  expect(printed).toEqual([...quoted, JSON.parse(`[${final}]`)]);
});

it("the limits table matches LIMITS", () => {
  const rows = new Map(
    [...readme.matchAll(/^\| `(\w+)` +\| (\d+) +\|/gm)].map((m) => [m[1] as string, Number(m[2])]),
  );
  expect(Object.fromEntries(rows)).toEqual({ ...LIMITS });
});

it("the errors table lists every code once", () => {
  const codes = [...readme.matchAll(/^\| `\w+Error` +\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
  expect(codes.sort()).toEqual([
    "ALREADY_EXISTS",
    "ITEM_TOO_LARGE",
    "NOT_FOUND",
    "THROTTLED",
    "UNAVAILABLE",
    "VALIDATION",
    "VERSION_CONFLICT",
  ]);
});
