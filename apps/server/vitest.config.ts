import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
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
