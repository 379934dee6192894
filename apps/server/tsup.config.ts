import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm"],
  // A private app: nothing imports its types, so no declaration build.
  dts: false,
  clean: true,
  sourcemap: true,
  target: "node20",
});
