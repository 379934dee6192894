import { type DynamoDbLocalServer, startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import type { TestProject } from "vitest/node";
import "./provided.js";

// One DynamoDB Local and one redis-server per vitest project; every store a test makes is isolated on them
// (own tables, own key prefix). Stopped by pid when the project is done.
let dynamo: DynamoDbLocalServer | undefined;
let redis: RedisServerHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  // A loaded machine (every project starts its servers at once) can take a while to bring up the JVM.
  [dynamo, redis] = await Promise.all([startDynamoDbLocal({ startTimeoutMs: 180_000 }), startRedisServer()]);
  project.provide("testBackends", {
    dynamoEndpoint: dynamo.endpoint,
    redisHost: redis.host,
    redisPort: redis.port,
  });
}

export async function teardown(): Promise<void> {
  await Promise.all([dynamo?.stop(), redis?.destroy()]);
}
