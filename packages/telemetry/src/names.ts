/**
 * Metric and attribute names. `db.*`, `error.type` and `gen_ai.*` are the stable OpenTelemetry database and
 * GenAI conventions; `agent_state.*` are this package's own.
 */
export const METRICS = {
  /** Histogram, seconds: every store call (the stable database client metric). */
  operationDuration: "db.client.operation.duration",
  /** Counter, capacity units DynamoDB consumed, by `agent_state.capacity.type` (read|write). */
  capacity: "agent_state.dynamodb.consumed_capacity",
  /** Counter, DynamoDB requests sent, by table and store operation. */
  requests: "agent_state.dynamodb.requests",
  /** Counter, tool-cache lookups by `agent_state.tool_cache.result` (hit|miss). */
  toolCacheLookups: "agent_state.tool_cache.lookups",
  /** Counter, cacheable reads by `agent_state.read.source` (l1|dax|dynamodb). */
  readsServed: "agent_state.reads.served",
  /** Counter, region failovers. */
  failovers: "agent_state.region.failovers",
  /** Counter, throttled requests. */
  throttles: "agent_state.throttles",
  /** Counter, requests the backend's client re-sent. */
  retries: "agent_state.retries",
} as const;

export const ATTR = {
  system: "db.system.name",
  operation: "db.operation.name",
  collection: "db.collection.name",
  errorType: "error.type",
  conversationId: "gen_ai.conversation.id",
  toolName: "gen_ai.tool.name",
  capacityType: "agent_state.capacity.type",
  request: "agent_state.dynamodb.request",
  readUnits: "agent_state.dynamodb.read_units",
  writeUnits: "agent_state.dynamodb.write_units",
  requests: "agent_state.dynamodb.requests",
  cacheResult: "agent_state.tool_cache.result",
  readSource: "agent_state.read.source",
  messageCount: "agent_state.messages.count",
  recordCount: "agent_state.records.count",
  recordScope: "agent_state.records.scope",
  fromRegion: "agent_state.region.from",
  toRegion: "agent_state.region.to",
} as const;

/** Bucket boundaries (seconds) the database conventions advise for `db.client.operation.duration`. */
export const DURATION_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
