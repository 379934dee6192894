export type { CostCounter, CostSnapshot } from "./cost-counter.js";
export { attachCostCounter } from "./cost-counter.js";
export type { LocalRegion, LocalRegions } from "./local-regions.js";
export { startLocalRegions } from "./local-regions.js";
export type { ReplicaRegion, Replicator, ReplicatorOptions, ReplicatorStats } from "./replicator.js";
export { startReplicator } from "./replicator.js";
export { dropTables, localClientConfig, uniqueTableNames } from "./tables.js";
