import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createTables, DEFAULT_TABLE_NAMES } from "@agent-state/dynamodb";
import { dropTables } from "@agent-state/dynamodb/testing";
import { pickFreePort } from "@agent-state/dynamodb-local";
import { afterAll, expect, inject, it, vi } from "vitest";
import { localClient } from "./support/dynamo.js";

const readme = fileURLToPath(new URL("../README.md", import.meta.url));
const workDir = fileURLToPath(new URL("./.readme-run/", import.meta.url));
const client = localClient(inject("dynamoEndpoint"));

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await dropTables(client, DEFAULT_TABLE_NAMES);
  client.destroy();
});

it("the README's usage example runs as written and prints what it says", async () => {
  const text = readFileSync(readme, "utf8");
  const code = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(text)?.[1];
  expect(code).toBeDefined();
  // The example's default table names, in DynamoDB Local; the SDK picks its endpoint up from the environment.
  await createTables(client, DEFAULT_TABLE_NAMES);
  const env = {
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_REGION: "us-east-1",
    DAX_ENDPOINT: `dax://127.0.0.1:${await pickFreePort()}`,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  mkdirSync(workDir, { recursive: true });
  const file = `${workDir}usage.ts`;
  writeFileSync(file, code ?? "");
  const printed: unknown[][] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
  const promised = /\/\/ → (.*)/.exec(code ?? "")?.[1];
  expect(printed).toEqual([JSON.parse(`[${promised}]`)]);
});
