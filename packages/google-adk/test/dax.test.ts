import { withDax } from "@agent-state/dax";
import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { dropTables, localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import type { Session } from "@google/adk";
import { afterAll, describe, expect, inject, it } from "vitest";
// The DAX double the dax package's own tests use (DAX has no local server; only DAX gets a double).
import { DaxDouble } from "../../dax/test/support/dax-double.js";
import { AgentStateSessionService } from "../src/index.js";
import { event, key } from "./support.js";

// Two processes, each with its own withDax (its own L1 cache), over one DynamoDB Local table set and one DAX
// cluster (the double): cached reads must never let a stale Session object write, nor lose shared state.
describe("AgentStateSessionService through withDax, two processes", () => {
  const low = new DynamoDBClient(localClientConfig(inject("testBackends").dynamoEndpoint));
  const tables = uniqueTableNames("adk-dax");
  const dax = new DaxDouble(DynamoDBDocument.from(low));
  const openProcess = () =>
    new AgentStateSessionService(
      withDax(new DynamoStateStore({ client: DynamoDBDocument.from(low), tables }), { client: dax }),
    );
  afterAll(async () => {
    await dropTables(low, tables);
    low.destroy();
  });

  it("refuses stale Session objects, merges shared user state, and resumes in a new process", async () => {
    await createTables(low, tables);
    const a = openProcess();
    const b = openProcess();
    const created = await a.createSession(key);
    const seenByB = (await b.getSession(key)) as Session; // now cached in B's L1 and in DAX
    await a.appendEvent({ session: created, event: event("a1", { n: 1 }) });
    await expect(b.appendEvent({ session: seenByB, event: event("b1", { n: 2 }) })).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
    // Whatever B reads (cached or not) is consistent: the events its session record counts.
    const again = (await b.getSession(key)) as Session;
    expect(again.events.length).toBeLessThanOrEqual(1);
    expect(again.state).toStrictEqual(again.events.length === 0 ? {} : { n: 1 });

    // Sessions of one user in both processes write user: keys at once: both land.
    const [s2, s3] = await Promise.all([
      a.createSession({ ...key, sessionId: "s2" }),
      b.createSession({ ...key, sessionId: "s3" }),
    ]);
    await Promise.all([
      a.appendEvent({ session: s2, event: event("x", { "user:fromA": 1 }) }),
      b.appendEvent({ session: s3, event: event("y", { "user:fromB": 2 }) }),
    ]);
    const third = openProcess();
    const fresh = await third.createSession({ ...key, sessionId: "s4" });
    expect(fresh.state).toStrictEqual({ "user:fromA": 1, "user:fromB": 2 });

    // A new process resumes s1 and appends.
    const resumed = (await third.getSession(key)) as Session;
    expect(resumed.events.map((e) => e.id)).toStrictEqual(["a1"]);
    await third.appendEvent({ session: resumed, event: event("c1", { n: 3 }) });
    expect((await openProcess().getSession(key))?.events.map((e) => e.id)).toStrictEqual(["a1", "c1"]);
  });
});
