import { afterAll, beforeAll, describe } from "vitest";
import { describeBadInputContract } from "./bad-input.js";
import { describeConcurrencyContract } from "./concurrency.js";
import { describeExpiryContract } from "./expiry.js";
import type { StateStoreContractOptions } from "./harness.js";
import { describeIsolationContract } from "./isolation.js";
import { describeLargeStateContract } from "./large-state.js";
import { describeLargeValuesContract } from "./large-values.js";
import { describeMessagesContract } from "./messages.js";
import { describePreferencesContract } from "./preferences.js";
import { describeRecordsContract } from "./records.js";
import { describeRecordsBadInputContract } from "./records-bad-input.js";
import { describeRecordsConcurrencyContract } from "./records-concurrency.js";
import { describeReplaceContract } from "./replace.js";
import { describeSessionsContract } from "./sessions.js";
import { describeToolCacheContract } from "./tool-cache.js";
import { describeTruncationContract } from "./truncation.js";
import { describeVersionsContract } from "./versions.js";

/**
 * The whole contract: what every `StateStore` must do (see DESIGN.md "Semantics the contract suite pins
 * down"). A backend's conformance test is this one call:
 *
 *     describeStateStoreContract("redis", { beforeAll: startServer, create: ({ clock }) => new MyStore({ clock }),
 *                                           afterAll: stopServer });
 *
 * `create` runs before every test and must return a store isolated from all others. The per-capability
 * functions below run one part; they do not run `beforeAll`/`afterAll`, so call them where your servers are up.
 */
export function describeStateStoreContract(name: string, options: StateStoreContractOptions): void {
  describe(`${name}: StateStore contract`, () => {
    if (options.beforeAll) beforeAll(options.beforeAll, 120_000);
    if (options.afterAll) afterAll(options.afterAll, 60_000);
    describeSessionsContract(options);
    describeMessagesContract(options);
    describeVersionsContract(options);
    describeExpiryContract(options);
    describeToolCacheContract(options);
    describePreferencesContract(options);
    describeIsolationContract(options);
    describeBadInputContract(options);
    describeConcurrencyContract(options);
    describeRecordsContract(options);
    describeTruncationContract(options);
    describeReplaceContract(options);
    describeLargeValuesContract(options);
    describeLargeStateContract(options);
    describeRecordsBadInputContract(options);
    describeRecordsConcurrencyContract(options);
  });
}

export { describeBadInputContract } from "./bad-input.js";
export { describeConcurrencyContract } from "./concurrency.js";
export { describeExpiryContract } from "./expiry.js";
export type { ContractCapabilities, StateStoreContractOptions, StoreFixture } from "./harness.js";
export { codeOf, ManualClock, readAllPages, settle, useStore } from "./harness.js";
export { describeIsolationContract } from "./isolation.js";
export { describeLargeStateContract } from "./large-state.js";
export { describeLargeValuesContract } from "./large-values.js";
export type { MarkdownExampleRun } from "./markdown-example.js";
export { codeBlockAfter, runMarkdownExample } from "./markdown-example.js";
export { describeMessagesContract } from "./messages.js";
export { describePreferencesContract } from "./preferences.js";
export { describeRecordsContract } from "./records.js";
export { describeRecordsBadInputContract } from "./records-bad-input.js";
export { describeRecordsConcurrencyContract } from "./records-concurrency.js";
export { describeReplaceContract } from "./replace.js";
export { describeSessionsContract } from "./sessions.js";
export { incompressible, objectOfSize } from "./sized.js";
export { describeToolCacheContract } from "./tool-cache.js";
export { describeTruncationContract } from "./truncation.js";
export { describeVersionsContract } from "./versions.js";
