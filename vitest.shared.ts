import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Workspace packages resolve to their TypeScript sources in tests, so `pnpm test` needs no build first.
 * Every package's vitest.config.ts spreads this.
 */
export const sharedConfig: ViteUserConfig = {
  test: {
    // Tests talk to real servers on a 2-core machine running every project at once: generous limits, so a
    // slow moment is not a failure. Counts are asserted, never times.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
  resolve: {
    alias: [
      { find: /^@agent-state\/([a-z-]+)\/testing$/, replacement: `${root}packages/$1/src/testing/index.ts` },
      { find: /^@agent-state\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
    ],
  },
};
