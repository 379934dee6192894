import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

const packages = fileURLToPath(new URL("..", import.meta.url));

export default mergeConfig(
  sharedConfig,
  defineConfig({
    resolve: {
      // The shared aliases only match unhyphenated package names.
      alias: [
        { find: /^@agent-state\/dynamodb-local$/, replacement: `${packages}dynamodb-local/src/index.ts` },
      ],
    },
    test: {
      name: "dax",
      include: ["test/**/*.test.ts"],
      // One DynamoDB Local for every test file of this package (each test uses its own tables).
      globalSetup: ["test/support/global-setup.ts"],
    },
  }),
);
