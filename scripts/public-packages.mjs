// The packages this repository publishes: every workspace package (packages/*, apps/*) whose package.json is
// not `private`. The pack test, the publint/attw check and the API docs all start from this list, so a new
// package is picked up without being named anywhere.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** @returns {import("./public-packages.d.mts").PublicPackage[]} sorted by name */
export function publicPackages() {
  const found = [];
  for (const parent of ["packages", "apps"]) {
    for (const child of readdirSync(join(repoRoot, parent))) {
      const dir = join(repoRoot, parent, child);
      const file = join(dir, "package.json");
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, "utf8"));
      if (manifest.private !== true) found.push({ name: manifest.name, dir, manifest });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
