import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startDynamoDbLocal } from "../src/index.js";

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

async function listTables(endpoint: string): Promise<unknown> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "DynamoDB_20120810.ListTables",
      authorization:
        "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
    },
    body: "{}",
  });
  return response.json();
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startDynamoDbLocal", () => {
  it("starts in memory on a free port, answers, and stops by pid", async () => {
    const server = await startDynamoDbLocal();
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect(await listTables(server.endpoint)).toEqual({ TableNames: [] });
    await server.stop();
    expect(isRunning(server.pid)).toBe(false);
    await server.stop(); // idempotent
  });

  it("persists to dataDir when given one", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ddb-local-"));
    tempDirs.push(dataDir);
    const server = await startDynamoDbLocal({ dataDir });
    await listTables(server.endpoint);
    await server.stop();
    expect(readdirSync(dataDir).some((name) => name.endsWith(".db"))).toBe(true);
  });

  it("without java on PATH it throws an error that says how to install it", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow("apt-get install openjdk-17-jre-headless");
    } finally {
      process.env.PATH = path;
    }
  });
});
