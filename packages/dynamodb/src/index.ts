export type { DynamoClientLike, DynamoDocumentMethods, DynamoReader, DynamoWriter } from "./client.js";
export { createTables, TTL_ATTRIBUTE, tableDefinitions } from "./create-tables.js";
export type { DynamoStateStoreOptions, DynamoViewClients } from "./dynamo-store.js";
export { DEFAULT_MESSAGE_TTL_SECONDS, DynamoStateStore } from "./dynamo-store.js";
export type { MultiRegionOptions } from "./multi-region.js";
export { UnsupportedTableModeError, verifyTableMode } from "./multi-region.js";
export type { RegionEvent, RegionEventReason, RegionHealthOptions, RegionOption } from "./regions.js";
export type { TableNames } from "./schema.js";
export { DEFAULT_TABLE_NAMES } from "./schema.js";
