import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    // Builds (globalSetup), packs and npm-installs once (beforeAll), then checks each package: see pack.test.ts.
    test: {
      name: "packaging",
      include: ["*.test.ts"],
      globalSetup: ["global-setup.ts"],
      testTimeout: 180_000,
      hookTimeout: 900_000,
    },
  }),
);
