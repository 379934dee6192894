import type { DynamoReader, DynamoWriter } from "@agent-state/dynamodb";

/**
 * The read half of a DAX document client, method-style: `get`, `query`, `batchGet` (the shape of `DaxDocument`
 * from `@amazon-dax-sdk/lib-dax`, of `DynamoDBDocument`, and of the store's `withReader` seam). Any client
 * with these three methods can be injected.
 */
export type DaxReadClient = DynamoReader;

/**
 * A DAX client that can also write (`put`, `update`, `delete`, `transactWrite`, `batchWrite`), as `DaxDocument`
 * can: writes then go through it, so DAX's item cache holds the new items.
 */
export type DaxClient = DaxReadClient & DynamoWriter;

const WRITE_METHODS = ["put", "update", "delete", "transactWrite", "batchWrite"] as const;

/** True when `client` has every write method (a read-only client leaves writes on DynamoDB). */
export function canWrite(client: DaxReadClient): client is DaxClient {
  const candidate = client as unknown as Record<string, unknown>;
  return WRITE_METHODS.every((method) => typeof candidate[method] === "function");
}

/** How to build the real `@amazon-dax-sdk/lib-dax` client. */
export interface RealDaxClientConfig {
  endpoints: string[];
  region?: string;
  /** Bounds connecting to a node inside the SDK (the decorator enforces its own timeouts regardless). */
  connectTimeoutMs: number;
  /** Bounds one DAX request inside the SDK: the longer of the read and the write timeouts. */
  requestTimeoutMs: number;
}

/** A DAX client plus the way to release it (the SDK's `shutdown()` exists at run time, not in its types). */
export interface OwnedDaxClient {
  client: DaxClient;
  shutdown(): void;
}

/**
 * Loads `@amazon-dax-sdk/lib-dax` on first use and builds a `DaxDocument`. Importing that SDK removes every
 * `process` 'warning' listener, so the listeners present before the import are put back afterwards.
 */
export async function createRealDaxClient(config: RealDaxClientConfig): Promise<OwnedDaxClient> {
  const sdk = await importPreservingWarningListeners(() => import("@amazon-dax-sdk/lib-dax"));
  const document = new sdk.DaxDocument({
    endpoints: config.endpoints,
    ...(config.region !== undefined ? { region: config.region } : {}),
    requestTimeout: config.requestTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    // The decorator falls back to DynamoDB itself, so the SDK should not sit in its own retry loop (a write
    // retried after a timeout could also be applied twice).
    maxRetries: 0,
    maxRetryDelay: Math.min(config.connectTimeoutMs, 500),
  } as ConstructorParameters<typeof sdk.DaxDocument>[0]);
  const shutdown = (document as unknown as { shutdown?: () => void }).shutdown;
  return {
    client: document as unknown as DaxClient,
    shutdown: () => shutdown?.call(document),
  };
}

/** Runs `load` (a dynamic import) and restores any `process` 'warning' listener the imported module removed. */
export async function importPreservingWarningListeners<T>(load: () => Promise<T>): Promise<T> {
  const before = process.listeners("warning");
  try {
    return await load();
  } finally {
    const after = new Set(process.listeners("warning"));
    for (const listener of before) {
      if (!after.has(listener)) process.on("warning", listener);
    }
  }
}
