import { randomUUID } from "node:crypto";
import type { Clock, StateStore } from "@agent-state/core";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { RedisStateStore } from "@agent-state/redis";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, inject } from "vitest";
import "./provided.js";

export const BACKEND_NAMES = ["memory", "dynamodb", "redis"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What a test body gets: the backend's name and a way to make isolated stores on it. */
export interface BackendHandle {
  readonly name: BackendName;
  /**
   * A new store on this backend, isolated from every other (own tables or key prefix), judging expiry by
   * `clock` when given. Closed (and its tables dropped) after the enclosing `describe`.
   */
  createStore(options?: { clock?: Clock }): Promise<StateStore>;
}

type Opened = { store: StateStore; dispose: () => Promise<void> };

async function open(name: BackendName, clock: Clock | undefined): Promise<Opened> {
  const clockOption = clock ? { clock } : {};
  switch (name) {
    case "memory": {
      const store = new MemoryStateStore(clockOption);
      return { store, dispose: () => store.close() };
    }
    case "dynamodb": {
      const low = new DynamoDBClient(localClientConfig(inject("testBackends").dynamoEndpoint));
      const tables = uniqueTableNames("adapter");
      await createTables(low, tables);
      const store = new DynamoStateStore({
        ...clockOption,
        client: DynamoDBDocumentClient.from(low),
        tables,
      });
      return {
        store: asFullStateStore(name, store),
        async dispose() {
          await store.close();
          await dropTables(low, tables);
          low.destroy();
        },
      };
    }
    case "redis": {
      const { redisHost, redisPort } = inject("testBackends");
      const store = new RedisStateStore({
        ...clockOption,
        redisOptions: { host: redisHost, port: redisPort },
        keyPrefix: `adapter-${randomUUID()}:`,
      });
      return { store: asFullStateStore(name, store), dispose: () => store.close() };
    }
  }
}

/**
 * The adapters need `records`, `sessions.truncate` and the append options. While a backend is still being
 * brought up to that interface, fail its tests with a clear message instead of a TypeError deep inside.
 */
function asFullStateStore(name: string, store: object): StateStore {
  const candidate = store as Partial<StateStore>;
  if (typeof candidate.records?.write !== "function" || typeof candidate.sessions?.truncate !== "function") {
    throw new Error(`the ${name} backend does not implement records and sessions.truncate yet`);
  }
  return store as StateStore;
}

/**
 * Registers `body` once per backend, in a `describe` named "<title> (<backend>)". Every store the body makes
 * through the handle is closed after that describe. The project's vitest config must list
 * `@agent-state/test-backends/global-setup` in `globalSetup` (it starts DynamoDB Local and redis-server).
 */
export function describeEachBackend(title: string, body: (backend: BackendHandle) => void): void {
  for (const name of BACKEND_NAMES) {
    describe(`${title} (${name})`, () => {
      const opened: Opened[] = [];
      afterAll(async () => {
        await Promise.all(opened.splice(0).map((o) => o.dispose()));
      });
      body({
        name,
        async createStore(options = {}) {
          const o = await open(name, options.clock);
          opened.push(o);
          return o.store;
        },
      });
    });
  }
}
