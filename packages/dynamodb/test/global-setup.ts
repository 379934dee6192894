import { type DynamoDbLocalServer, startDynamoDbLocal } from "@agent-state/dynamodb-local";
import type { TestProject } from "vitest/node";

let server: DynamoDbLocalServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startDynamoDbLocal();
  project.provide("dynamoEndpoint", server.endpoint);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
