export type { CostCounter, CostSnapshot } from "./cost-counter.js";
export { attachCostCounter } from "./cost-counter.js";
export { dropTables, localClientConfig, uniqueTableNames } from "./tables.js";
