import type { StateStore } from "@agent-state/core";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import {
  attachCostCounter,
  type CostCounter,
  dropTables,
  localClientConfig,
  uniqueTableNames,
} from "@agent-state/dynamodb/testing";
import { describeEachBackend, instrumented, type RecordCall } from "@agent-state/test-backends";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createEvent, type Event, type Session } from "@google/adk";
import { afterAll, describe, expect, inject, it } from "vitest";
import { AgentStateSessionService } from "../src/index.js";

// What each call costs, on a typical chat: events of ~1 KB (a 900-character message), a session of 10 events.
// Store round trips (records calls) are the same on every backend; DynamoDB requests and capacity units are
// counted as DynamoDB bills them (attachCostCounter: transactions at 2×, failed conditions at 1 WCU). The
// README's cost table is these numbers.

const app = "demo";
const user = "ada";
let clock = Date.UTC(2026, 0, 1);

function message(id: string, stateDelta: Record<string, unknown> = {}): Event {
  return createEvent({
    id,
    invocationId: "inv-1",
    author: "user",
    content: { role: "user", parts: [{ text: "x".repeat(900) }] },
    actions: { stateDelta },
    timestamp: ++clock,
  });
}

interface Step {
  name: string;
  /** Not measured: brings the session to the state the step needs. */
  setup?: (service: AgentStateSessionService, sessions: Map<string, Session>) => Promise<unknown>;
  run: (service: AgentStateSessionService, sessions: Map<string, Session>) => Promise<unknown>;
}

/** The calls measured, in order, each on the state the previous ones left. */
const STEPS: Step[] = [
  {
    name: "createSession (the user's first)",
    run: async (s, m) => m.set("s1", await s.createSession({ appName: app, userId: user, sessionId: "s1" })),
  },
  {
    name: "createSession",
    run: async (s, m) => m.set("s2", await s.createSession({ appName: app, userId: user, sessionId: "s2" })),
  },
  {
    name: "appendEvent, no state delta",
    run: (s, m) => s.appendEvent({ session: m.get("s1") as Session, event: message("e1") }),
  },
  {
    name: "appendEvent, session state delta",
    run: (s, m) => s.appendEvent({ session: m.get("s1") as Session, event: message("e2", { step: 2 }) }),
  },
  {
    name: "appendEvent, user: delta",
    run: (s, m) =>
      s.appendEvent({ session: m.get("s1") as Session, event: message("e3", { "user:lang": "en" }) }),
  },
  {
    name: "appendEvent, app: delta",
    run: (s, m) =>
      s.appendEvent({ session: m.get("s1") as Session, event: message("e4", { "app:version": 2 }) }),
  },
  {
    name: "getSession, 10 events",
    setup: async (s, m) => {
      for (let i = 5; i <= 10; i++) {
        await s.appendEvent({ session: m.get("s1") as Session, event: message(`e${i}`) });
      }
    },
    run: async (s, m) =>
      m.set("s1", (await s.getSession({ appName: app, userId: user, sessionId: "s1" })) as Session),
  },
  {
    name: "getSession, numRecentEvents: 3",
    run: (s) => s.getSession({ appName: app, userId: user, sessionId: "s1", config: { numRecentEvents: 3 } }),
  },
  {
    name: "appendEvent after a restart (untracked Session)",
    run: (_s, m) =>
      new AgentStateSessionService(current).appendEvent({
        session: m.get("s1") as Session,
        event: message("e11"),
      }),
  },
  {
    name: "listSessions (one user, 2 sessions)",
    run: (s) => s.listSessions({ appName: app, userId: user }),
  },
  {
    name: "deleteSession, 11 events",
    run: (s) => s.deleteSession({ appName: app, userId: user, sessionId: "s1" }),
  },
];

// The store the "after a restart" step opens its second service on.
let current: StateStore;

/** Runs STEPS, recording for each the store calls and (given a counter) DynamoDB's bill. */
async function measure(store: StateStore, counter?: CostCounter) {
  const counted = instrumented(store);
  current = counted.store;
  const service = new AgentStateSessionService(counted.store);
  const sessions = new Map<string, Session>();
  const rows: Record<string, { calls: RecordCall[]; dynamo?: string }> = {};
  for (const step of STEPS) {
    await step.setup?.(service, sessions);
    counted.records.length = 0;
    counter?.reset();
    await step.run(service, sessions);
    const bill = counter?.snapshot();
    rows[step.name] = {
      calls: [...counted.records],
      ...(bill
        ? {
            dynamo: `${Object.entries(bill.byOperation)
              .map(([op, n]) => `${op}×${n}`)
              .join(" ")} | ${bill.readUnits} RCU | ${bill.writeUnits} WCU`,
          }
        : {}),
    };
  }
  return rows;
}

/** Store round trips per call: `write!` is an atomic records write (all or nothing). */
const EXPECTED_CALLS: Record<string, RecordCall[]> = {
  "createSession (the user's first)": ["get", "get", "write", "write!"],
  createSession: ["get", "get", "write!"],
  "appendEvent, no state delta": ["write!"],
  "appendEvent, session state delta": ["write!"],
  "appendEvent, user: delta": ["get", "write!"],
  "appendEvent, app: delta": ["write!", "get", "write"],
  "getSession, 10 events": ["get", "get", "range"],
  "getSession, numRecentEvents: 3": ["get", "get", "range"],
  "appendEvent after a restart (untracked Session)": ["get", "write!"],
  "listSessions (one user, 2 sessions)": ["range"],
  "deleteSession, 11 events": ["get", "write", "range", "write", "range", "write"],
};

/** DynamoDB requests and capacity units per call (the README's table). */
const EXPECTED_DYNAMO: Record<string, string> = {
  "createSession (the user's first)": "BatchGetItem×2 UpdateItem×1 PutItem×1 | 0 RCU | 2 WCU",
  createSession: "BatchGetItem×2 PutItem×1 | 1 RCU | 1 WCU",
  "appendEvent, no state delta": "TransactWriteItems×1 | 0 RCU | 8 WCU",
  "appendEvent, session state delta": "TransactWriteItems×1 | 0 RCU | 8 WCU",
  "appendEvent, user: delta": "BatchGetItem×1 TransactWriteItems×1 | 0 RCU | 10 WCU",
  "appendEvent, app: delta": "TransactWriteItems×1 BatchGetItem×1 PutItem×1 | 0 RCU | 9 WCU",
  "getSession, 10 events": "BatchGetItem×2 TransactGetItems×2 Query×1 | 31 RCU | 0 WCU",
  "getSession, numRecentEvents: 3": "BatchGetItem×2 TransactGetItems×2 Query×1 | 19 RCU | 0 WCU",
  "appendEvent after a restart (untracked Session)":
    "BatchGetItem×1 TransactGetItems×1 TransactWriteItems×1 | 3 RCU | 8 WCU",
  "listSessions (one user, 2 sessions)": "Query×1 TransactGetItems×1 | 5 RCU | 0 WCU",
  "deleteSession, 11 events":
    "BatchGetItem×1 TransactGetItems×3 UpdateItem×1 Query×2 DeleteItem×22 | 52 RCU | 34 WCU",
};

describeEachBackend("what each call costs in store round trips", (backend) => {
  it("is the same on every backend", async () => {
    const rows = await measure(await backend.createStore());
    const calls = Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, row.calls]));
    expect(calls).toStrictEqual(EXPECTED_CALLS);
    if (process.env.PRINT_COSTS) console.log(backend.name, calls);
  });
});

describe("what each call costs on DynamoDB (billed as DynamoDB bills it)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it("matches the README's table", async () => {
    const low = new DynamoDBClient(localClientConfig(inject("testBackends").dynamoEndpoint));
    const tables = uniqueTableNames("adk-cost");
    await createTables(low, tables);
    const counter = attachCostCounter(low);
    const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(low), tables });
    cleanups.push(async () => {
      await store.close();
      await dropTables(low, tables);
      low.destroy();
    });
    const rows = await measure(store, counter);
    const table = Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, row.dynamo]));
    if (process.env.PRINT_COSTS) console.log(table);
    expect(table).toStrictEqual(EXPECTED_DYNAMO);
  });
});
