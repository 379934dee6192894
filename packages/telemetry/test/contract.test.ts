import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { afterAll, expect } from "vitest";
import { withTelemetry } from "../src/index.js";
import { BACKENDS, openStore } from "./support/backends.js";
import { otelHarness } from "./support/otel.js";

// The whole contract through withTelemetry, on every backend, with the real SDK recording every span and metric.
const otel = otelHarness();
const disposers = new WeakMap<StateStore, () => Promise<void>>();

for (const backend of BACKENDS) {
  describeStateStoreContract(`telemetry over ${backend}`, {
    create: async ({ clock }) => {
      const opened = await openStore(backend, clock);
      const store = withTelemetry(opened.store, {
        tracerProvider: otel.tracerProvider,
        meterProvider: otel.meterProvider,
      });
      disposers.set(store, opened.dispose);
      return store;
    },
    destroy: (store) => disposers.get(store)?.(),
  });
}

afterAll(async () => {
  // The suite did run through the decorator: spans were recorded.
  expect((await otel.spans()).length).toBeGreaterThan(0);
  await otel.shutdown();
});
