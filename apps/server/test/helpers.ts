import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  type Logger,
  loadConfig,
  type RunningServer,
  type ServerConfig,
  silentLogger,
  startServer,
} from "../src/index.js";

export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
export const ALICE_TOKEN = "alice-token-0123456789abcdef";
export const BOB_TOKEN = "bob-token-0123456789abcdef0";

/** The store's id of a session an MCP user created under `sessionId` (each user has their own id space). */
export function storedSessionId(userId: string, sessionId: string): string {
  return `${userId.length}:${userId}:${sessionId}`;
}

/** An in-process server on a free port over the memory store, with tokens for alice and bob. */
export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  logger: Logger = silentLogger,
): Promise<RunningServer> {
  const config = loadConfig(
    { store: "memory", port: "0" },
    {
      AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN,
      AGENT_STATE_MCP_TOKENS: `alice:${ALICE_TOKEN},bob:${BOB_TOKEN}`,
      HOST: "127.0.0.1",
      AGENT_STATE_MAX_BODY_BYTES: "65536",
      AGENT_STATE_MAX_PAGE_SIZE: "20",
    },
  );
  return startServer({ ...config, ...overrides }, logger);
}

/** The SDK client over Streamable HTTP, authenticated with `token` when given. */
export async function connectMcp(
  url: string,
  token?: string,
  options: { modern?: boolean } = {},
): Promise<Client> {
  const client = new Client(
    { name: "agent-state-tests", version: "0.0.0" },
    // Default: the 2025 handshake; `modern` negotiates the 2026-07-28 per-request protocol.
    options.modern ? { versionNegotiation: { mode: "auto" } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    ...(token === undefined ? {} : { authProvider: { token: async () => token } }),
  });
  await client.connect(transport);
  return client;
}

/** Calls a tool and returns its structured content, failing the test on a tool error. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError)
    throw new Error(`${name} failed: ${JSON.stringify(result.structuredContent ?? result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

/** Calls a tool expected to fail and returns its `{ code, message }`. */
export async function callError(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ code: string; message: string }> {
  const result = await client.callTool({ name, arguments: args });
  if (!result.isError)
    throw new Error(`${name} unexpectedly succeeded: ${JSON.stringify(result.structuredContent)}`);
  const body = result.structuredContent as { error?: { code: string; message: string } } | undefined;
  if (body?.error) return body.error;
  const first = result.content[0];
  return { code: "PROTOCOL", message: first?.type === "text" ? first.text : "" };
}
