import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      name: "langgraph",
      include: ["test/**/*.test.ts"],
      // LangGraph's conformance suite (@langchain/langgraph-checkpoint-validation) calls describe/it/expect
      // as globals.
      globals: true,
      // One DynamoDB Local and one redis-server for every test file of this package.
      globalSetup: ["test/support/global-setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  }),
);
