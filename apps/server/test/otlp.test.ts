import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, silentLogger, startServer } from "../src/index.js";
import { ADMIN_TOKEN, ALICE_TOKEN, call, connectMcp } from "./helpers.js";

const MARKER = "PRIVATE-MARKER-otlp-41d2";

/** A stand-in OTLP/HTTP collector: records what arrives (path and body), answers 200. */
let collector: Server;
let collectorUrl: string;
const received: Array<{ path: string; body: string }> = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

function config() {
  return loadConfig(
    { store: "memory", port: "0" },
    {
      AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN,
      AGENT_STATE_MCP_TOKENS: `alice:${ALICE_TOKEN}`,
      HOST: "127.0.0.1",
    },
  );
}

async function oneTurn(url: string): Promise<void> {
  const client = await connectMcp(url, ALICE_TOKEN);
  try {
    await call(client, "session_create", { sessionId: "otlp-1" });
    await call(client, "messages_append", {
      sessionId: "otlp-1",
      messages: [{ role: "user", content: MARKER }],
    });
  } finally {
    await client.close();
  }
}

describe("OTLP export", () => {
  it("nothing is sent anywhere without OTEL_EXPORTER_OTLP_ENDPOINT", async () => {
    const server = await startServer(config(), silentLogger, { env: {} });
    expect(server.observability.otlp).toBe(false);
    await oneTurn(server.url);
    await server.stop();
    expect(received).toEqual([]);
  });

  it("with it, spans and metrics go to <endpoint>/v1/traces and /v1/metrics, without stored content", async () => {
    const server = await startServer(config(), silentLogger, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl },
    });
    expect(server.observability.otlp).toBe(true);
    await oneTurn(server.url);
    await server.stop(); // flushes the exporters
    const paths = new Set(received.map((r) => r.path));
    expect(paths).toEqual(new Set(["/v1/traces", "/v1/metrics"]));
    const bodies = received.map((r) => r.body).join("\n");
    expect(bodies).toContain("sessions.append");
    expect(bodies).toContain("tools/call messages_append");
    expect(bodies).not.toContain("PRIVATE-MARKER");
  });
});
