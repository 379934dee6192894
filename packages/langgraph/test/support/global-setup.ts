import { type DynamoDbLocalServer, startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import type { TestProject } from "vitest/node";

let dynamo: DynamoDbLocalServer | undefined;
let redis: RedisServerHandle | undefined;

/** One DynamoDB Local and one redis-server (free ports) for the package's tests; each test isolates by prefix. */
export async function setup(project: TestProject): Promise<void> {
  [dynamo, redis] = await Promise.all([startDynamoDbLocal(), startRedisServer()]);
  project.provide("dynamoEndpoint", dynamo.endpoint);
  project.provide("redisPort", redis.port);
}

export async function teardown(): Promise<void> {
  await Promise.all([dynamo?.stop(), redis?.destroy()]);
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    redisPort: number;
  }
}
