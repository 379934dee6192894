import { existsSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * What every console response carries. The page shows attacker-controlled text (messages, tool results,
 * state), so: scripts and styles from this origin only (no inline script, no eval), no framing, no plugins,
 * requests to this origin only, nothing sniffed as another type, no referrer leaving the page.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** The built console: `index.html` for every view URL, and its assets. */
export interface ConsoleAssets {
  /** Answers a GET under `/console`; false when the path is not the console's. */
  serve(pathname: string, res: ServerResponse): boolean;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * The console's files as `scripts/build-console.mjs` writes them (`dist/console`), read once. The bundled
 * server finds them next to itself; run from sources (tests), in the package's `dist/console`.
 */
export function defaultConsoleDir(): string {
  const besideBundle = fileURLToPath(new URL("./console/", import.meta.url));
  if (existsSync(join(besideBundle, "index.html"))) return besideBundle;
  return fileURLToPath(new URL("../../dist/console/", import.meta.url));
}

export function loadConsoleAssets(dir: string): ConsoleAssets {
  const files = new Map<string, { body: Buffer; type: string }>();
  const index = join(dir, "index.html");
  const built = existsSync(index);
  if (built) {
    for (const name of ["app.js", "app.css", "favicon.svg"]) {
      const path = join(dir, name);
      const ext = name.slice(name.lastIndexOf("."));
      if (existsSync(path)) files.set(name, { body: readFileSync(path), type: TYPES[ext] ?? "text/plain" });
    }
  }
  const page = built
    ? readFileSync(index)
    : Buffer.from(
        "<!doctype html><title>agent-state console</title><p>The console is not built: run <code>pnpm build</code>.</p>",
      );

  return {
    serve(pathname, res) {
      if (pathname !== "/console" && !pathname.startsWith("/console/")) return false;
      const asset = /^\/console\/assets\/([a-z.]+)$/.exec(pathname)?.[1];
      if (asset !== undefined) {
        const file = files.get(asset);
        if (!file) {
          send(res, 404, Buffer.from("not found"), "text/plain; charset=utf-8", "no-store");
          return true;
        }
        send(res, 200, file.body, file.type, "no-cache");
        return true;
      }
      // Every other path is a view: the page reads its URL and shows that view.
      send(res, built ? 200 : 503, page, "text/html; charset=utf-8", "no-cache");
      return true;
    },
  };
}

function send(res: ServerResponse, status: number, body: Buffer, type: string, cache: string): void {
  res.writeHead(status, {
    ...CONSOLE_SECURITY_HEADERS,
    "content-type": type,
    "content-length": String(body.byteLength),
    "cache-control": cache,
  });
  res.end(body);
}
