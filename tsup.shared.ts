import { defineConfig, type Options } from "tsup";

/**
 * The build every workspace package uses: ESM for Node 22 with declarations and source maps, from `entry`.
 * Each package's tsup.config.ts calls this (the server passes `{ dts: false }`: nothing imports its types).
 */
export function packageBuild(entry: string[] = ["src/index.ts"], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node22",
    ...overrides,
  });
}
