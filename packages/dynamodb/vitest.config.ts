import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    resolve: {
      // The shared alias pattern has no hyphen in package names.
      alias: [
        {
          find: /^@agent-state\/dynamodb-local$/,
          replacement: fileURLToPath(new URL("../dynamodb-local/src/index.ts", import.meta.url)),
        },
      ],
    },
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
