/** OpenAPI paths and schemas of `GET /metrics` and `GET /state/cost` (merged into `/openapi.json`). */

const usd = (description: string) => ({ type: "number", description: `${description} (USD per month)` });
const error = { $ref: "#/components/responses/Error" };

export const OBSERVABILITY_PATHS = {
  "/metrics": {
    get: {
      summary:
        "Every metric in the Prometheus text format (OpenTelemetry names, e.g. db_client_operation_duration_seconds_bucket)",
      description:
        "Same admin bearer token as /state. Store calls (db.client.operation.duration), DynamoDB capacity and requests " +
        "per table and operation, tool-cache hits and misses, DAX read sources, failovers, throttles, retries. Ids and " +
        "counts only, never stored content.",
      responses: {
        "200": { description: "OK", content: { "text/plain": { schema: { type: "string" } } } },
        "401": error,
      },
    },
  },
  "/state/cost": {
    get: {
      summary: "This process's measured usage projected onto a month, and the DAX advice",
      description:
        "Request units scale from the measured window to 730 hours; storage does not. Prices: AWS on-demand list " +
        "prices for `region` (see the telemetry README); deployment from AGENT_STATE_COST_REGION, " +
        "AGENT_STATE_COST_REPLICAS, AGENT_STATE_DAX_NODE_TYPE, AGENT_STATE_DAX_NODES.",
      responses: {
        "200": {
          description: "OK",
          content: { "application/json": { schema: { $ref: "#/components/schemas/CostReport" } } },
        },
        "401": error,
      },
    },
  },
};

export const OBSERVABILITY_SCHEMAS = {
  CostReport: {
    type: "object",
    required: [
      "monthlyUsd",
      "totalWithoutDaxUsd",
      "totalWithDaxUsd",
      "rows",
      "tables",
      "operations",
      "advice",
    ],
    properties: {
      monthlyUsd: usd("The deployment's total: with DAX when one is deployed, else without"),
      totalWithoutDaxUsd: usd("Total without DAX"),
      totalWithDaxUsd: usd("Total with DAX (cached reads removed, the cluster's node-hours added)"),
      region: { type: "string" },
      replicaRegions: { type: "integer", description: "Global Tables replicas besides the home region" },
      window: {
        type: "object",
        properties: {
          startedAt: { type: "integer", description: "epoch ms" },
          endedAt: { type: "integer", description: "epoch ms" },
          seconds: { type: "number" },
        },
      },
      prices: {
        type: "object",
        description: "The prices used (USD): per request unit, per GB-month, DAX per node-hour by node type",
        properties: {
          writeRequestUnitUsd: { type: "number" },
          readRequestUnitUsd: { type: "number" },
          replicatedWriteRequestUnitUsd: { type: "number" },
          storageGbMonthUsd: { type: "number" },
          daxNodeHourUsd: { type: "object", additionalProperties: { type: "number" } },
        },
      },
      rows: {
        type: "array",
        description: "The design's cost table",
        items: {
          type: "object",
          properties: {
            item: {
              enum: ["sessions", "tool cache", "preferences", "records", "Global Tables replication", "DAX"],
            },
            monthlyUsd: usd("This line"),
          },
        },
      },
      tables: {
        type: "array",
        items: {
          type: "object",
          properties: {
            table: { type: "string" },
            readUnits: { type: "number", description: "Measured" },
            writeUnits: { type: "number", description: "Measured" },
            storageGb: { type: "number" },
            monthlyUsd: {
              type: "object",
              properties: {
                reads: usd("Reads"),
                writes: usd("Writes"),
                storage: usd("Storage"),
                total: usd("Total"),
              },
            },
          },
        },
      },
      operations: {
        type: "array",
        items: {
          type: "object",
          properties: {
            table: { type: "string" },
            operation: {
              type: "string",
              description: "db.operation.name, e.g. sessions.append (background: no call)",
            },
            requests: { type: "integer" },
            readUnits: { type: "number" },
            writeUnits: { type: "number" },
            monthlyUsd: usd("Its request units"),
          },
        },
      },
      advice: {
        type: "object",
        properties: {
          verdict: { enum: ["add-dax", "dax-not-needed", "dax-not-paying", "keep-dax"] },
          reason: { type: "string", description: "One sentence with the deciding numbers" },
          peakReadsPerSecondPerSession: { type: "number" },
          thresholdReadsPerSecond: { type: "number", description: "The rule: add DAX above this (1,000)" },
          cacheableReadShare: { type: "number", description: "0–1" },
          readSavingsUsd: usd("Read cost DAX removes"),
          daxMonthlyUsd: usd("The deployed or candidate cluster"),
          cluster: {
            type: "object",
            properties: { nodeType: { type: "string" }, nodes: { type: "integer" } },
          },
          deployed: { type: "boolean" },
        },
      },
    },
  },
};
