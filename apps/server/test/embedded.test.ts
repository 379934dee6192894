import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeEmbeddedStore } from "../scripts/probe-embedded-store.js";
import { type LogFields, type Logger, loadConfig, type RunningServer, startServer } from "../src/index.js";
import { isAlive } from "./bin.js";
import { ADMIN_TOKEN, ALICE_TOKEN, call, callError, connectMcp } from "./helpers.js";

/** A logger that keeps every line (level, msg, fields) for the test to look at. */
function recordingLogger(): Logger & { lines: ({ level: string; msg: string } & LogFields)[] } {
  const lines: ({ level: string; msg: string } & LogFields)[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}) => {
      lines.push({ level, msg, ...fields });
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

describe("the embedded store is reachable by the server alone", () => {
  it("a foreign client with other credentials sees no table and no item, and nothing listens off loopback", async () => {
    const report = await probeEmbeddedStore();
    expect(report.ownTables).toHaveLength(3);
    expect(report.foreign).toHaveLength(3);
    for (const outsider of report.foreign) {
      expect(outsider.tables).toEqual([]);
      expect(outsider.scannedItems ?? 0).toBe(0);
      expect(outsider.refusedWith).toBe("UnrecognizedClientException");
    }
    // The outsiders' keys and regions made no database file: the server's own is the only one.
    expect(report.databaseFiles).toHaveLength(1);
    for (const address of report.external) expect(address.accepted, address.address).toBe(false);
    expect(report.modes).toEqual({ dataDir: "700", credentials: "600" });
    expect(report.sealed).toBe(true);
  }, 180_000);
});

describe("the embedded store under supervision (in-process server)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "agent-state-embedded-"));
  const logger = recordingLogger();
  let server: RunningServer;
  let client: Client;

  beforeAll(async () => {
    const config = loadConfig(
      { store: "embedded", port: "0", "data-dir": dataDir },
      {
        AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN,
        AGENT_STATE_MCP_TOKENS: `alice:${ALICE_TOKEN}`,
        HOST: "127.0.0.1",
      },
    );
    server = await startServer(config, logger);
    client = await connectMcp(server.url, ALICE_TOKEN);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps its key in a 0600 file in a 0700 data directory", () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "embedded-credentials.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "dynamodb")).mode & 0o777).toBe(0o700);
  });

  it("restarts DynamoDB Local killed mid-load, /healthz says so meanwhile, and nothing acknowledged is lost", async () => {
    const local = server.opened.embedded;
    if (local === undefined) throw new Error("no supervised DynamoDB Local");
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await call(client, "session_create", { sessionId: "load" });
    const firstPid = local.pid;
    if (firstPid === undefined) throw new Error("DynamoDB Local not running");

    // Writers append numbered messages until told to stop, remembering which appends were acknowledged.
    const acknowledged = new Set<string>();
    let failures = 0;
    let next = 0;
    let stop = false;
    const writer = async () => {
      while (!stop) {
        const content = `m${next++}`;
        const result = await client.callTool({
          name: "messages_append",
          arguments: { sessionId: "load", messages: [{ role: "user", content }] },
        });
        if (result.isError) {
          failures++;
          const body = result.structuredContent as { error: { code: string; message: string } };
          // What clients see of the outage: the code and a plain message, no endpoint.
          expect(body.error.code).toBe("UNAVAILABLE");
          expect(body.error.message).not.toMatch(/127\.0\.0\.1|http:|ECONNREFUSED|localhost/);
          await new Promise((resolve) => setTimeout(resolve, 50));
        } else acknowledged.add(content);
      }
    };
    const writers = [writer(), writer(), writer()];
    while (acknowledged.size < 30) await new Promise((resolve) => setTimeout(resolve, 20));

    process.kill(firstPid, "SIGKILL");
    // Bounded waits (at most 600 × 50 ms): first the outage is seen, then the recovery.
    let unhealthy: { status: number; body: { status: string; reason?: string } } | undefined;
    for (let i = 0; i < 600 && unhealthy === undefined; i++) {
      const res = await fetch(`${server.url}/healthz`);
      const body = (await res.json()) as { status: string; reason?: string };
      if (res.status === 503) unhealthy = { status: res.status, body };
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(unhealthy?.body.status).toBe("unavailable");
    expect(unhealthy?.body.reason).toMatch(/store/);
    expect(unhealthy?.body.reason).not.toMatch(/127\.0\.0\.1|http:/);
    let healthy = false;
    for (let i = 0; i < 600 && !healthy; i++) {
      healthy = (await fetch(`${server.url}/healthz`)).status === 200;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(healthy).toBe(true);
    expect(local.restarts).toBe(1);
    expect(local.pid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);

    // Writes go through again after the restart.
    const before = acknowledged.size;
    for (let i = 0; i < 600 && acknowledged.size < before + 30; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.size).toBeGreaterThanOrEqual(before + 30);
    expect(failures).toBeGreaterThan(0);

    // Every acknowledged append is there, on the same data directory.
    const stored = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await call(client, "messages_list", {
        sessionId: "load",
        limit: 100,
        ...(cursor === null ? {} : { cursor }),
      });
      for (const m of page.messages as { content: string }[]) stored.add(m.content);
      cursor = page.cursor as string | null;
    } while (cursor !== null);
    const lost = [...acknowledged].filter((content) => !stored.has(content));
    expect(lost).toEqual([]);

    // The supervisor and every failed tool call left a log line with the error code.
    expect(logger.lines.some((l) => l.msg === "DynamoDB Local exited unexpectedly; restarting it")).toBe(
      true,
    );
    expect(logger.lines.some((l) => l.msg === "restarted DynamoDB Local")).toBe(true);
    const failedCalls = logger.lines.filter((l) => l.msg === "mcp tool call failed");
    expect(failedCalls.length).toBe(failures);
    for (const line of failedCalls)
      expect(line).toMatchObject({ tool: "messages_append", code: "UNAVAILABLE" });
  }, 120_000);

  it("logs a failed tool call of the caller's making too, with its code", async () => {
    const before = logger.lines.length;
    expect((await callError(client, "session_get", { sessionId: "nobody" })).code).toBe("NOT_FOUND");
    expect(logger.lines.slice(before)).toContainEqual(
      expect.objectContaining({
        level: "warn",
        msg: "mcp tool call failed",
        tool: "session_get",
        code: "NOT_FOUND",
      }),
    );
  });
});
