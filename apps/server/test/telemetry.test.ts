import { PassThrough } from "node:stream";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/index.js";
import { printCost } from "../src/telemetry/cost-command.js";
import { ADMIN_TOKEN, ALICE_TOKEN, call, startTestServer } from "./helpers.js";

// The real SDK, registered globally as an application would: the server's tool spans and store spans land here.
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (sample lines; comments skipped). */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

async function mcpClient(url: string, traceparent?: string): Promise<Client> {
  const client = new Client({ name: "telemetry-test", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      authProvider: { token: async () => ALICE_TOKEN },
      ...(traceparent === undefined ? {} : { requestInit: { headers: { traceparent } } }),
    }),
  );
  return client;
}

describe("server observability: /metrics, /state/cost, agent-state cost, traces", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
    await provider.shutdown();
  });

  it("an agent turn (read + two appends) over MCP is one trace: store spans under each tool call's span", async () => {
    const tracer = trace.getTracer("agent");
    const turn = tracer.startSpan("agent turn");
    const { traceId, spanId } = turn.spanContext();
    const client = await mcpClient(server.url, `00-${traceId}-${spanId}-01`);
    try {
      await call(client, "session_create", { sessionId: "turn-1" });
      exporter.reset();
      await call(client, "session_get", { sessionId: "turn-1" });
      await call(client, "messages_append", {
        sessionId: "turn-1",
        messages: [{ role: "user", content: "hi" }],
      });
      await call(client, "messages_append", {
        sessionId: "turn-1",
        messages: [{ role: "assistant", content: "hello" }],
      });
    } finally {
      await client.close();
      turn.end();
    }
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const tools = spans.filter((s) => s.name.startsWith("tools/call "));
    expect(tools.map((s) => s.name)).toEqual([
      "tools/call session_get",
      "tools/call messages_append",
      "tools/call messages_append",
    ]);
    for (const span of spans) expect(span.spanContext().traceId).toBe(traceId);
    for (const tool of tools) expect(tool.parentSpanContext?.spanId).toBe(spanId);
    const toolIds = new Set(tools.map((t) => t.spanContext().spanId));
    const store = spans.filter((s) => s.attributes["db.system.name"] === "memory");
    expect(store.map((s) => s.attributes["db.operation.name"])).toEqual(
      expect.arrayContaining(["sessions.get", "sessions.append", "sessions.append"]),
    );
    for (const span of store) expect(toolIds.has(span.parentSpanContext?.spanId as string)).toBe(true);
    expect(store.filter((s) => s.attributes["db.operation.name"] === "sessions.append")).toHaveLength(2);
  });

  it("GET /metrics: admin token, Prometheus text with the OpenTelemetry names", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const samples = parsePrometheus(await response.text());
    const appendCount = samples.find(
      (s) =>
        s.name === "db_client_operation_duration_seconds_count" &&
        s.labels.db_operation_name === "sessions.append",
    );
    expect(appendCount?.labels.db_system_name).toBe("memory");
    expect(appendCount?.value).toBe(2);
    const buckets = samples.filter(
      (s) =>
        s.name === "db_client_operation_duration_seconds_bucket" &&
        s.labels.db_operation_name === "sessions.append",
    );
    expect(buckets.map((b) => b.labels.le)).toEqual([
      "0.001",
      "0.005",
      "0.01",
      "0.05",
      "0.1",
      "0.5",
      "1",
      "5",
      "10",
      "+Inf",
    ]);
    expect(buckets.at(-1)?.value).toBe(2);
  });

  it("GET /state/cost: the projection and the DAX advice; agent-state cost prints it as a table", async () => {
    expect((await fetch(`${server.url}/state/cost`)).status).toBe(401);
    const response = await fetch(`${server.url}/state/cost`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as Record<string, unknown>;
    expect(typeof report.monthlyUsd).toBe("number");
    expect(report).toMatchObject({
      region: "us-east-1",
      advice: { verdict: "dax-not-needed", thresholdReadsPerSecond: 1000 },
      rows: expect.arrayContaining([expect.objectContaining({ item: "sessions" })]),
    });

    const out = new PassThrough();
    const err = new PassThrough();
    const code = await printCost({ port: server.port }, { AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN }, out, err);
    expect(code).toBe(0);
    const table = String(out.read());
    expect(table).toContain("total without DAX");
    expect(table).toContain("DAX advice: dax-not-needed");
  });

  it("the OpenAPI document describes /metrics and /state/cost", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/metrics", "/state/cost"]));
  });
});
