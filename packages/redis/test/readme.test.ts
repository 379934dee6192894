import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The README's testing example is real vitest code: importing it while this file's tests are being
// collected registers its tests, so they run (and fail) like any other test in this package.
const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const heading = "## Testing against a real redis-server";
const start = readme.indexOf(heading);
const example = start < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
if (!example) throw new Error(`README.md has no ts block after ${heading}`);

const workDir = fileURLToPath(new URL("./.readme-run/", import.meta.url));
mkdirSync(workDir, { recursive: true });
const file = `${workDir}testing-example.ts`;
writeFileSync(file, example);
try {
  await import(/* @vite-ignore */ file);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
