import { describe, expect, it } from "vitest";
import { createDynamoClient, OWNED_CLIENT_DEFAULTS } from "../src/client.js";

describe("createDynamoClient", () => {
  it("builds a DynamoDBClient with cacheMiddleware, bounded attempts and timeouts, unless the config says otherwise", async () => {
    const client = createDynamoClient({ region: "local", endpoint: "http://127.0.0.1:9" });
    try {
      expect(client.config.cacheMiddleware).toBe(true);
      expect(await client.config.maxAttempts()).toBe(OWNED_CLIENT_DEFAULTS.maxAttempts);
    } finally {
      client.destroy();
    }
    const own = createDynamoClient({ region: "local", cacheMiddleware: false, maxAttempts: 5 });
    try {
      expect(own.config.cacheMiddleware).toBe(false);
      expect(await own.config.maxAttempts()).toBe(5);
    } finally {
      own.destroy();
    }
  });
});
