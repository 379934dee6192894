import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      name: "dax",
      include: ["test/**/*.test.ts"],
      // One DynamoDB Local for every test file of this package (each test uses its own tables).
      globalSetup: ["test/support/global-setup.ts"],
    },
  }),
);
