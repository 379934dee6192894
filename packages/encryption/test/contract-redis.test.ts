import { randomUUID } from "node:crypto";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { RedisStateStore } from "@agent-state/redis";
import { inject } from "vitest";
import { withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";

// withEncryption over a RedisStateStore with its own key prefix on the project's redis-server.
describeStateStoreContract("encryption (Redis)", {
  create: ({ clock }) => {
    const { redisHost, redisPort } = inject("testBackends");
    const inner = new RedisStateStore({
      clock,
      redisOptions: { host: redisHost, port: redisPort },
      keyPrefix: `enc-${randomUUID()}:`,
    });
    return withEncryption(inner, { keyring: testKeyring() });
  },
});
