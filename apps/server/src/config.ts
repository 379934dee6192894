import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

export const STORE_KINDS = ["embedded", "memory", "dynamodb", "redis"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Everything the server needs to start; built from flags and environment by `loadConfig`. */
export interface ServerConfig {
  store: StoreKind;
  /** TCP port; 0 picks a free one. Default 3000. */
  port: number;
  /** Interface to bind. Forced to 127.0.0.1 when no MCP tokens are configured. */
  host: string;
  /**
   * Where the embedded store keeps its files. Default `./.agent-state` of the folder the command was run in
   * (`INIT_CWD`, which npx, npm and pnpm set to it, else the working directory).
   */
  dataDir: string;
  /** Admin API bearer token; generated at start when unset. */
  adminToken: string | undefined;
  /** MCP bearer token → user id. Empty: no MCP auth, every caller is the local user, loopback only. */
  mcpTokens: Map<string, string>;
  /** The user every MCP caller acts as when no tokens are configured (and over stdio). */
  localUserId: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Largest page any listing returns (admin API and MCP tools); bigger `limit`s are capped. */
  maxPageSize: number;
  /** A request's headers and body must have arrived within this many ms (then 408 and the connection closes). */
  requestTimeoutMs: number;
  /** Open connections the server holds at most; more are closed at once. */
  maxConnections: number;
  /** Open connections one remote address holds at most; more are closed at once. */
  maxConnectionsPerClient: number;
  dynamodb: {
    endpoint: string | undefined;
    region: string | undefined;
    tablePrefix: string | undefined;
    createTables: boolean;
  };
  redisUrl: string | undefined;
  /** Encryption at rest (`@agent-state/encryption`): off unless a key file or a KMS key is named. */
  encryption: { keyFile: string | undefined; kmsKeyId: string | undefined };
}

export class ConfigError extends Error {}

const DEFAULT_PORT = 3000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_MAX_PAGE_SIZE = 100;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 1_024;
const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 128;

/** The command line: `serve` or `mcp --stdio`, with flags. */
export interface ParsedCommand {
  command: "serve" | "mcp" | "cost" | "help";
  stdio: boolean;
  config: ServerConfig;
}

/**
 * Parses `argv` (without node and script) and reads the environment. Flags win over environment variables.
 * Throws `ConfigError` with a message meant for the user.
 */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  // No command serves: `npx agent-state` (and `npx agent-state --store memory`) is the whole quick start.
  const command = positionals[0] ?? "serve";
  if (values.help || command === "help")
    return { command: "help", stdio: false, config: loadConfig({}, env) };
  if (command === "cost") {
    const flags = values.port === undefined ? {} : { port: values.port };
    return { command, stdio: false, config: loadConfig(flags, env) };
  }
  if (command !== "serve" && command !== "mcp")
    throw new ConfigError(`unknown command ${JSON.stringify(command)}`);
  if (command === "mcp" && !values.stdio) throw new ConfigError("`agent-state mcp` needs --stdio");
  return { command, stdio: values.stdio === true, config: loadConfig(values, env) };
}

function parseFlags(argv: string[]) {
  return parseArgs({
    // `pnpm start -- --store memory` may hand over the `--` separator itself; flags after it are still flags.
    args: argv.filter((arg) => arg !== "--"),
    allowPositionals: true,
    options: {
      store: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "encryption-key-file": { type: "string" },
      "kms-key-id": { type: "string" },
      stdio: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Flags = {
  store?: string;
  port?: string;
  host?: string;
  "data-dir"?: string;
  "encryption-key-file"?: string;
  "kms-key-id"?: string;
};

/** Builds the configuration from flags and environment variables (see the README's table). */
export function loadConfig(flags: Flags, env: NodeJS.ProcessEnv): ServerConfig {
  const store = flags.store ?? env.AGENT_STATE_STORE ?? "embedded";
  if (!(STORE_KINDS as readonly string[]).includes(store)) {
    throw new ConfigError(`--store must be one of ${STORE_KINDS.join(", ")}; got ${JSON.stringify(store)}`);
  }
  const mcpTokens = readMcpTokens(env);
  const keyFile = nonEmpty(flags["encryption-key-file"] ?? env.AGENT_STATE_ENCRYPTION_KEY_FILE);
  const kmsKeyId = nonEmpty(flags["kms-key-id"] ?? env.AGENT_STATE_KMS_KEY_ID);
  if (keyFile !== undefined && kmsKeyId !== undefined) {
    throw new ConfigError("give --encryption-key-file or --kms-key-id, not both");
  }
  const requestedHost = flags.host ?? env.HOST;
  return {
    store: store as StoreKind,
    port: parseWholeNumber("--port / PORT", flags.port ?? env.PORT, DEFAULT_PORT, 0, 65535),
    // Without MCP tokens anyone who can connect acts as the local user, so only this machine may connect.
    host: mcpTokens.size === 0 ? "127.0.0.1" : (requestedHost ?? "0.0.0.0"),
    // Relative paths count from where the user ran the command: under `pnpm start` the script runs in
    // apps/server, and pnpm passes the original directory as INIT_CWD.
    dataDir: resolve(
      env.INIT_CWD ?? process.cwd(),
      flags["data-dir"] ?? env.AGENT_STATE_DATA_DIR ?? ".agent-state",
    ),
    adminToken: nonEmpty(env.AGENT_STATE_ADMIN_TOKEN),
    mcpTokens,
    localUserId: nonEmpty(env.AGENT_STATE_LOCAL_USER) ?? "local",
    maxBodyBytes: parseWholeNumber(
      "AGENT_STATE_MAX_BODY_BYTES",
      env.AGENT_STATE_MAX_BODY_BYTES,
      DEFAULT_MAX_BODY_BYTES,
      1024,
      64 * 1024 * 1024,
    ),
    maxPageSize: parseWholeNumber(
      "AGENT_STATE_MAX_PAGE_SIZE",
      env.AGENT_STATE_MAX_PAGE_SIZE,
      DEFAULT_MAX_PAGE_SIZE,
      1,
      1000,
    ),
    requestTimeoutMs: parseWholeNumber(
      "AGENT_STATE_REQUEST_TIMEOUT_MS",
      env.AGENT_STATE_REQUEST_TIMEOUT_MS,
      DEFAULT_REQUEST_TIMEOUT_MS,
      100,
      600_000,
    ),
    maxConnections: parseWholeNumber(
      "AGENT_STATE_MAX_CONNECTIONS",
      env.AGENT_STATE_MAX_CONNECTIONS,
      DEFAULT_MAX_CONNECTIONS,
      1,
      1_000_000,
    ),
    maxConnectionsPerClient: parseWholeNumber(
      "AGENT_STATE_MAX_CONNECTIONS_PER_CLIENT",
      env.AGENT_STATE_MAX_CONNECTIONS_PER_CLIENT,
      DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
      1,
      1_000_000,
    ),
    dynamodb: {
      endpoint: nonEmpty(env.AGENT_STATE_DYNAMODB_ENDPOINT),
      region: nonEmpty(env.AGENT_STATE_DYNAMODB_REGION) ?? nonEmpty(env.AWS_REGION),
      tablePrefix: nonEmpty(env.AGENT_STATE_DYNAMODB_TABLE_PREFIX),
      createTables:
        env.AGENT_STATE_DYNAMODB_CREATE_TABLES === "1" || env.AGENT_STATE_DYNAMODB_CREATE_TABLES === "true",
    },
    redisUrl: nonEmpty(env.AGENT_STATE_REDIS_URL) ?? nonEmpty(env.REDIS_URL),
    encryption: {
      keyFile: keyFile === undefined ? undefined : resolve(env.INIT_CWD ?? process.cwd(), keyFile),
      kmsKeyId,
    },
  };
}

/**
 * MCP tokens from `AGENT_STATE_MCP_TOKENS` (`userId:token` pairs, comma-separated; the token is what follows
 * the last colon) and/or the JSON file named by `AGENT_STATE_MCP_TOKENS_FILE` (`{ "tokens": [{ "token",
 * "userId" }] }`).
 */
export function readMcpTokens(env: NodeJS.ProcessEnv): Map<string, string> {
  const tokens = new Map<string, string>();
  const add = (token: string, userId: string, source: string) => {
    if (token.length < 16) throw new ConfigError(`${source}: tokens must be at least 16 characters`);
    if (userId.length === 0) throw new ConfigError(`${source}: empty user id`);
    if (tokens.has(token) && tokens.get(token) !== userId)
      throw new ConfigError(`${source}: one token mapped to two users`);
    tokens.set(token, userId);
  };
  for (const pair of (env.AGENT_STATE_MCP_TOKENS ?? "").split(",")) {
    const trimmed = pair.trim();
    if (trimmed.length === 0) continue;
    const colon = trimmed.lastIndexOf(":");
    if (colon <= 0)
      throw new ConfigError("AGENT_STATE_MCP_TOKENS: expected userId:token pairs separated by commas");
    add(trimmed.slice(colon + 1), trimmed.slice(0, colon), "AGENT_STATE_MCP_TOKENS");
  }
  const file = nonEmpty(env.AGENT_STATE_MCP_TOKENS_FILE);
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`AGENT_STATE_MCP_TOKENS_FILE: cannot read ${file}: ${(error as Error).message}`);
    }
    const entries = (parsed as { tokens?: unknown }).tokens;
    if (!Array.isArray(entries))
      throw new ConfigError(`${file}: expected { "tokens": [{ "token", "userId" }] }`);
    for (const entry of entries) {
      const { token, userId } = (entry ?? {}) as { token?: unknown; userId?: unknown };
      if (typeof token !== "string" || typeof userId !== "string") {
        throw new ConfigError(`${file}: every entry needs string "token" and "userId"`);
      }
      add(token, userId, file);
    }
  }
  return tokens;
}

function parseWholeNumber(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

export const USAGE = `agent-state: agent state (sessions, tool cache, preferences) over MCP and an admin HTTP API

Usage:
  agent-state [serve] [--store embedded|memory|dynamodb|redis] [--port N] [--host H] [--data-dir DIR]
                    [--encryption-key-file PATH | --kms-key-id KEY]
  agent-state mcp --stdio [--store KIND] [--data-dir DIR] [--encryption-key-file PATH | --kms-key-id KEY]
  agent-state cost [--port N]   (the running server's projected monthly cost and DAX advice, as a table)

Environment: PORT, HOST, AGENT_STATE_STORE, AGENT_STATE_DATA_DIR, AGENT_STATE_ADMIN_TOKEN,
AGENT_STATE_MCP_TOKENS (userId:token,...), AGENT_STATE_MCP_TOKENS_FILE, AGENT_STATE_LOCAL_USER,
AGENT_STATE_MAX_BODY_BYTES, AGENT_STATE_MAX_PAGE_SIZE, AGENT_STATE_DYNAMODB_ENDPOINT, AGENT_STATE_DYNAMODB_REGION,
AGENT_STATE_DYNAMODB_TABLE_PREFIX, AGENT_STATE_DYNAMODB_CREATE_TABLES, AGENT_STATE_REDIS_URL,
AGENT_STATE_ENCRYPTION_KEY_FILE, AGENT_STATE_KMS_KEY_ID, OTEL_EXPORTER_OTLP_ENDPOINT, AGENT_STATE_COST_REGION,
AGENT_STATE_COST_REPLICAS, AGENT_STATE_DAX_NODE_TYPE, AGENT_STATE_DAX_NODES.
See the README for details.
`;
