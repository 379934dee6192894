import { randomBytes } from "node:crypto";
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

describe("startDynamoDbLocal binding and databases", () => {
  it("listens on 127.0.0.1 only: no other address of this machine accepts a connection", async () => {
    const server = await startDynamoDbLocal();
    try {
      const { connect } = await import("node:net");
      const { networkInterfaces } = await import("node:os");
      const accepts = (host: string) =>
        new Promise<boolean>((resolve) => {
          const socket = connect({ host, port: server.port, timeout: 2_000 });
          socket.once("connect", () => {
            socket.destroy();
            resolve(true);
          });
          socket.once("timeout", () => {
            socket.destroy();
            resolve(false);
          });
          socket.once("error", () => resolve(false));
        });
      expect(await accepts("127.0.0.1")).toBe(true);
      const others = Object.values(networkInterfaces())
        .flatMap((infos) => infos ?? [])
        .filter((info) => !info.internal && info.family === "IPv4");
      for (const info of others) expect(await accepts(info.address), info.address).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it("with sharedDb: false, another access key id sees an empty database; exited resolves on a kill", async () => {
    const server = await startDynamoDbLocal({ sharedDb: false });
    const call = (target: string, key: string, body: unknown) =>
      fetch(server.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": `DynamoDB_20120810.${target}`,
          authorization: `AWS4-HMAC-SHA256 Credential=${key}/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=x`,
        },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    await call("CreateTable", "OWNER", {
      TableName: "secret",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    expect(await call("ListTables", "OWNER", {})).toEqual({ TableNames: ["secret"] });
    expect(await call("ListTables", "STRANGER", {})).toEqual({ TableNames: [] });
    process.kill(server.pid, "SIGKILL");
    expect(await server.exited).toEqual({ code: null, signal: "SIGKILL" });
    await server.stop();
  });

  it("with onlyCredential, 100 requests with other keys and regions are refused and create no file", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ddb-local-only-"));
    tempDirs.push(dataDir);
    const server = await startDynamoDbLocal({
      dataDir,
      sharedDb: false,
      onlyCredential: { accessKeyId: "OWNERKEY", region: "local" },
    });
    try {
      const call = (authorization: string | undefined) =>
        fetch(server.endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "DynamoDB_20120810.ListTables",
            ...(authorization === undefined ? {} : { authorization }),
          },
          body: "{}",
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
      const signed = (key: string, region: string) =>
        `AWS4-HMAC-SHA256 Credential=${key}/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=x`;
      expect(await call(signed("OWNERKEY", "local"))).toEqual({ status: 200, body: { TableNames: [] } });
      const before = readdirSync(dataDir).sort();
      const strangers = Array.from({ length: 100 }, (_, i) => {
        const key = `K${randomBytes(8).toString("hex").toUpperCase()}`;
        const region = ["local", "us-east-1", `r${i}`][i % 3] as string;
        // A third keep the owner's key in another region, a third the owner's region with another key.
        if (i % 3 === 0) return signed(key, "local");
        if (i % 3 === 1) return signed("OWNERKEY", region === "local" ? "eu-west-1" : region);
        return signed(key, region);
      });
      strangers.push("", "Basic x", "AWS4-HMAC-SHA256 Credential=OWNERKEY/local");
      for (const authorization of strangers) {
        const answer = await call(authorization === "" ? undefined : authorization);
        expect(answer.status, authorization).toBe(400);
        expect(answer.body.__type).toBe("com.amazonaws.dynamodb.v20120810#UnrecognizedClientException");
        expect(String(answer.body.message)).toContain("serves one access key id and region only");
      }
      expect(readdirSync(dataDir).sort()).toEqual(before);
      expect(await call(signed("OWNERKEY", "local"))).toEqual({ status: 200, body: { TableNames: [] } });
    } finally {
      await server.stop();
    }
  });
});
