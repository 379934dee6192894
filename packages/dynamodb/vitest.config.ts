import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      name: "dynamodb",
      include: ["test/**/*.test.ts"],
      // One DynamoDB Local for the whole project; each test makes its own tables.
      globalSetup: ["test/global-setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  }),
);
