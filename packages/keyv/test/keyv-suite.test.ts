import type { StateStore } from "@agent-state/core";
import { describeEachBackend } from "@agent-state/test-backends";
import keyvTestSuite from "@keyv/test-suite";
import Keyv from "keyv";
import * as vitest from "vitest";
import { AgentStateKeyv } from "../src/index.js";

// Keyv's own suite is the judge. It calls the factory many times per test and expects every adapter to see
// the same data, so each backend gets one store, and every call a new adapter on it (Keyv sets
// `namespace` on the adapter it is given).
describeEachBackend("@keyv/test-suite", (backend) => {
  let store: StateStore;
  vitest.beforeAll(async () => {
    store = await backend.createStore();
  });
  keyvTestSuite(vitest, Keyv, () => new AgentStateKeyv(store));
});
