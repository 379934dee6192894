import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

const packages = fileURLToPath(new URL("../../packages/", import.meta.url));

export default mergeConfig(
  sharedConfig,
  defineConfig({
    // The shared aliases match one-word package names only.
    resolve: {
      alias: [
        { find: /^@agent-state\/dynamodb-local$/, replacement: `${packages}dynamodb-local/src/index.ts` },
      ],
    },
    test: {
      name: "server",
      include: ["test/**/*.test.ts"],
      globalSetup: ["test/global-setup.ts"],
      // Starting DynamoDB Local (a JVM) on a shared 2-core machine can take a while.
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  }),
);
