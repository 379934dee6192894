// `pnpm docs`: the API reference, generated from the doc comments into docs/api/ (git-ignored), one module per
// entry point of every published package (scripts/public-packages.mjs).
import { publicPackages } from "./scripts/public-packages.mjs";

/** @type {Partial<import("typedoc").TypeDocOptions>} */
export default {
  name: "agent-state",
  entryPointStrategy: "packages",
  entryPoints: publicPackages().map((pkg) => pkg.dir),
  packageOptions: {
    tsconfig: "../../tsconfig.json",
    entryPoints: ["src/index.ts", "src/testing/index.ts"],
  },
  out: "docs/api",
  readme: "README.md",
  excludePrivate: true,
  excludeInternal: true,
  validation: { notExported: false },
};
