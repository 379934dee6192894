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
    test: { name: "server", include: ["test/**/*.test.ts"] },
  }),
);
