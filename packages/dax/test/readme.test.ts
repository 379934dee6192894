import { runMarkdownExample } from "@agent-state/core/testing";
import { createTables, DEFAULT_TABLE_NAMES } from "@agent-state/dynamodb";
import { dropTables } from "@agent-state/dynamodb/testing";
import { pickFreePort } from "@agent-state/dynamodb-local";
import { afterAll, expect, inject, it, vi } from "vitest";
import { localClient } from "./support/dynamo.js";

const client = localClient(inject("dynamoEndpoint"));

afterAll(async () => {
  await dropTables(client, DEFAULT_TABLE_NAMES);
  client.destroy();
});

it("the README's usage example runs as written and prints what it says", async () => {
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
  try {
    const { printed, promised } = await runMarkdownExample(
      new URL("../README.md", import.meta.url),
      "## Usage",
    );
    expect(promised).toBeDefined();
    expect(printed).toEqual([promised]);
  } finally {
    vi.unstubAllEnvs();
  }
});
