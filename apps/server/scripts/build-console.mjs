#!/usr/bin/env node
// Builds the console (console/src, plain TypeScript + DOM) into one script and one stylesheet with esbuild:
// no CDN, no runtime dependencies. `pnpm build` writes dist/console; the browser tests build into a temp dir.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const consoleRoot = fileURLToPath(new URL("../console/", import.meta.url));

/**
 * Writes `index.html`, `app.js`, `app.css` and `favicon.svg` into `outDir`. Not minified and no source map, like
 * every package's build: what the browser runs reads as it was written.
 */
export async function buildConsole(outDir) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(consoleRoot, "src/main.ts")],
    outfile: join(outDir, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  });
  copyFileSync(join(consoleRoot, "index.html"), join(outDir, "index.html"));
  copyFileSync(join(consoleRoot, "style.css"), join(outDir, "app.css"));
  copyFileSync(join(consoleRoot, "favicon.svg"), join(outDir, "favicon.svg"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildConsole(fileURLToPath(new URL("../dist/console/", import.meta.url)));
}
