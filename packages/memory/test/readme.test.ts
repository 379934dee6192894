import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The README's test-double example is real vitest code: importing it here, while this file's tests are
// being collected, registers its tests, so they run (and fail) like any other test in this package.
const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const heading = "## As a test double";
const start = readme.indexOf(heading);
const example = start < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
if (!example) throw new Error(`README.md has no ts block after ${heading}`);

const workDir = fileURLToPath(new URL("./.readme-run/", import.meta.url));
mkdirSync(workDir, { recursive: true });
const file = `${workDir}test-double-example.ts`;
writeFileSync(file, example);
try {
  await import(/* @vite-ignore */ file);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
