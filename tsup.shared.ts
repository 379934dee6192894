import { defineConfig, type Options } from "tsup";

/**
 * The build every published package uses, from `entry`: ESM (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`) for
 * Node 22, so `import` and `require()` both work and TypeScript sees the right types under either. Entries share
 * chunks in both formats (`splitting`), so one package's entries never carry two copies of a module.
 * `shims` gives the CommonJS build a working `import.meta.url`. No source maps: the output is not minified, so a
 * stack trace is readable as it is, and maps without the sources they point to would only warn in bundlers.
 * Each package's tsup.config.ts calls this; docs/packaging.md says what else a package needs.
 */
export function packageBuild(entry: string[] = ["src/index.ts"], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    splitting: true,
    shims: true,
    sourcemap: false,
    target: "node22",
    ...overrides,
  });
}
