import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** Starts one DynamoDB Local (on a free port) for the package's tests and stops it, by pid, afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startDynamoDbLocal();
  project.provide("dynamoEndpoint", server.endpoint);
  return () => server.stop();
}
