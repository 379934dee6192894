// `pnpm docs`: the API reference, generated from the doc comments into docs/api/ (git-ignored), one module per
// entry point of every published package (scripts/public-packages.mjs), so a new package is included as is.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { publicPackages } from "./scripts/public-packages.mjs";

const entryPoints = publicPackages().flatMap((pkg) =>
  Object.keys(pkg.manifest.exports ?? {})
    .filter((key) => key !== "./package.json")
    .map((key) => join(pkg.dir, "src", key === "." ? "index.ts" : `${key.slice(2)}/index.ts`))
    .filter((file) => existsSync(file)),
);

/** @type {Partial<import("typedoc").TypeDocOptions>} */
export default {
  name: "agent-state",
  entryPoints,
  tsconfig: "tsconfig.docs.json",
  plugin: ["./scripts/typedoc-package-names.mjs"],
  out: "docs/api",
  readme: "README.md",
  excludePrivate: true,
  excludeInternal: true,
  validation: { notExported: false },
};
