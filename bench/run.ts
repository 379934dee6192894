/**
 * `pnpm bench`: runs every `bench/*.bench.ts` in name order. Each file's default export prints its own
 * table (figures as ratios against a baseline measured in the same run) and stops what it started.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((name) => f.includes(name)))
  .sort();
for (const file of files) {
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { default: () => Promise<void> };
  console.log(`\n## ${file.replace(".bench.ts", "")}\n`);
  await mod.default();
}
