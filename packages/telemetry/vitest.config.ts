import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      name: "telemetry",
      include: ["test/**/*.test.ts"],
      // One DynamoDB Local and one redis-server for the project; each store gets its own tables or prefix.
      globalSetup: ["../test-backends/src/global-setup.ts"],
    },
  }),
);
