import { type StateStore, UnavailableError } from "@agent-state/core";
import { describeEachBackend, instrumented } from "@agent-state/test-backends";
import { createEvent, type Event, InMemorySessionService, type Session } from "@google/adk";
import { expect, it } from "vitest";
import { AgentStateSessionService } from "../src/index.js";
import { appScope, userScope } from "../src/keys.js";
import { normalise } from "./ops.js";
import { dumpRecords } from "./support.js";

const key = { appName: "app", userId: "ada", sessionId: "s1" };
let clock = Date.UTC(2026, 0, 1);
const tick = () => ++clock;

function event(id: string, stateDelta: Record<string, unknown> = {}, extra: Partial<Event> = {}): Event {
  return createEvent({
    id,
    invocationId: "inv",
    author: "user",
    content: { role: "user", parts: [{ text: id }] },
    actions: { stateDelta },
    timestamp: tick(),
    ...extra,
  });
}

describeEachBackend("AgentStateSessionService", (backend) => {
  it("refuses an append through a stale Session object, writing nothing (like ADK's database service)", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    await service.createSession({ ...key, state: { n: 0 } });
    const a = (await service.getSession(key)) as Session;
    const b = (await service.getSession(key)) as Session;
    await service.appendEvent({ session: a, event: event("e1", { n: 1, "user:u": 1 }) });
    const before = structuredClone({ events: b.events, state: b.state, lastUpdateTime: b.lastUpdateTime });
    await expect(
      service.appendEvent({ session: b, event: event("e2", { n: 2, "user:u": 2 }) }),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", name: "StaleSessionError" });
    // Neither the store nor the caller's object changed.
    expect({ events: b.events, state: b.state, lastUpdateTime: b.lastUpdateTime }).toStrictEqual(before);
    const stored = (await service.getSession(key)) as Session;
    expect(stored.events.map((e) => e.id)).toStrictEqual(["e1"]);
    expect(stored.state).toStrictEqual({ n: 1, "user:u": 1 });
    // Read again, it appends.
    await service.appendEvent({ session: stored, event: event("e2", { n: 2 }) });
    expect((await service.getSession(key))?.events.map((e) => e.id)).toStrictEqual(["e1", "e2"]);
  });

  it("of two services (processes) appending to one session at once, exactly one wins each round", async () => {
    const store = await backend.createStore();
    const first = new AgentStateSessionService(store);
    const second = new AgentStateSessionService(store);
    await first.createSession(key);
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([first.getSession(key), second.getSession(key)]);
      const results = await Promise.allSettled([
        first.appendEvent({ session: a as Session, event: event(`a${round}`, { last: `a${round}` }) }),
        second.appendEvent({ session: b as Session, event: event(`b${round}`, { last: `b${round}` }) }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "VERSION_CONFLICT" });
    }
    const stored = (await first.getSession(key)) as Session;
    expect(stored.events).toHaveLength(5);
    expect(stored.state.last).toBe(stored.events.at(-1)?.id);
  });

  it("applies concurrent appends through one Session object in call order, losing none", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    const session = await service.createSession(key);
    const events = Array.from({ length: 12 }, (_, i) => event(`c${i}`, { [`k${i % 3}`]: i, "user:n": i }));
    await Promise.all(events.map((e) => service.appendEvent({ session, event: e })));
    const stored = (await service.getSession(key)) as Session;
    expect(stored.events.map((e) => e.id)).toStrictEqual(events.map((e) => e.id));
    expect(stored.state).toStrictEqual({ k0: 9, k1: 10, k2: 11, "user:n": 11 });
    expect(session.events.map((e) => e.id)).toStrictEqual(events.map((e) => e.id));
  });

  it("shares user state across the user's sessions and app state across users; concurrent writers of other keys both survive", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    const sessions = await Promise.all(
      ["s1", "s2", "s3", "s4"].map((sessionId, i) =>
        service.createSession({ appName: "app", userId: i < 2 ? "ada" : "bob", sessionId }),
      ),
    );
    await Promise.all(
      sessions.map((session, i) =>
        service.appendEvent({ session, event: event(`e${i}`, { [`user:u${i}`]: i, [`app:a${i}`]: i }) }),
      ),
    );
    const ada = (await service.getSession({ appName: "app", userId: "ada", sessionId: "s2" })) as Session;
    const bob = (await service.getSession({ appName: "app", userId: "bob", sessionId: "s3" })) as Session;
    const app = { "app:a0": 0, "app:a1": 1, "app:a2": 2, "app:a3": 3 };
    expect(ada.state).toStrictEqual({ ...app, "user:u0": 0, "user:u1": 1 });
    expect(bob.state).toStrictEqual({ ...app, "user:u2": 2, "user:u3": 3 });
    // Another app sees none of it.
    const other = await service.createSession({ appName: "other", userId: "ada" });
    expect(other.state).toStrictEqual({});
  });

  it("never stores temp: keys, in state or in events", async () => {
    const store = await backend.createStore();
    const service = new AgentStateSessionService(store);
    const session = await service.createSession({ ...key, state: { "temp:a": "SECRET-1", kept: 1 } });
    const appended = await service.appendEvent({
      session,
      event: event("e1", { "temp:b": "SECRET-2", "app:x": 1, "user:y": 2, z: 3 }),
    });
    expect(Object.keys(appended.actions.stateDelta)).toStrictEqual(["app:x", "user:y", "z"]);
    const dump = await dumpRecords(store, [userScope("app", "ada"), appScope("app")]);
    expect(dump).not.toContain("SECRET");
    expect(dump).not.toContain("temp:");
    expect((await service.getSession(key))?.state).toStrictEqual({ kept: 1, z: 3, "app:x": 1, "user:y": 2 });
  });

  it("createSession shares app: and user: keys (like DatabaseSessionService; InMemorySessionService keeps them in that session)", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    await service.createSession({ ...key, state: { "app:theme": "dark", "user:lang": "en", own: 1 } });
    const next = await service.createSession({ ...key, sessionId: "s2" });
    expect(next.state).toStrictEqual({ "app:theme": "dark", "user:lang": "en" });
    const reference = new InMemorySessionService();
    await reference.createSession({ ...key, state: { "app:theme": "dark" } });
    expect((await reference.createSession({ ...key, sessionId: "s2" })).state).toStrictEqual({});
  });

  it("refuses a second createSession of a live id (InMemorySessionService silently replaces it)", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    const session = await service.createSession(key);
    await service.appendEvent({ session, event: event("e1") });
    await expect(service.createSession(key)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect((await service.getSession(key))?.events).toHaveLength(1);
  });

  it("gives a new session a random id when none is given", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    const a = await service.createSession({ appName: "app", userId: "ada" });
    const b = await service.createSession({ appName: "app", userId: "ada", sessionId: "" });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.id).not.toBe(a.id);
    expect((await service.listSessions({ appName: "app", userId: "ada" })).totalItems).toBe(2);
  });

  it("appendEvent to a deleted session throws NOT_FOUND and leaves the caller's object as it was", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    const session = await service.createSession(key);
    await service.deleteSession(key);
    await expect(service.appendEvent({ session, event: event("e1", { a: 1 }) })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(session.events).toStrictEqual([]);
    expect(session.state).toStrictEqual({});
    expect(await service.getSession(key)).toBeUndefined();
  });

  it("returns a partial event untouched and stores nothing of it", async () => {
    const store = await backend.createStore();
    const service = new AgentStateSessionService(store);
    const session = await service.createSession(key);
    const partial = event("p1", { "app:x": 1, a: 1 }, { partial: true });
    expect(await service.appendEvent({ session, event: partial })).toBe(partial);
    expect(session.events).toStrictEqual([]);
    expect((await service.getSession(key))?.state).toStrictEqual({});
  });

  it("delete removes every event (hundreds); a session re-created under the id starts empty", async () => {
    const store = await backend.createStore();
    const service = new AgentStateSessionService(store);
    const session = await service.createSession(key);
    for (let i = 0; i < 230; i++) await service.appendEvent({ session, event: event(`e${i}`, { i }) });
    await service.deleteSession(key);
    // Only the session's tombstone stays (it keeps the record's version growing).
    expect((await dumpRecords(store, [userScope("app", "ada")])).split("\n")).toStrictEqual([
      expect.stringMatching(/^m\/s1=\{"deleted":true,/),
    ]);
    const again = await service.createSession(key);
    expect(again.state).toStrictEqual({});
    expect((await service.getSession(key))?.events).toStrictEqual([]);
    await service.deleteSession(key); // deleting what is not there does nothing
    await service.deleteSession(key);
  });

  it("a Session object of a deleted session cannot write into one re-created under its id", async () => {
    const store = await backend.createStore();
    const holder = new AgentStateSessionService(store);
    const held = await holder.createSession(key);
    const other = new AgentStateSessionService(store);
    await other.deleteSession(key);
    const recreated = await other.createSession({ ...key, state: { fresh: true } });
    await other.appendEvent({ session: recreated, event: event("new") });
    await expect(
      holder.appendEvent({ session: held, event: event("old", { fresh: false }) }),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    const stored = (await other.getSession(key)) as Session;
    expect(stored.events.map((e) => e.id)).toStrictEqual(["new"]);
    expect(stored.state).toStrictEqual({ fresh: true });
  });

  it("refuses what JSON cannot hold with VALIDATION, before anything is written", async () => {
    const store = await backend.createStore();
    const service = new AgentStateSessionService(store);
    const session = await service.createSession(key);
    for (const bad of [new Date(0), () => 1, Number.NaN, 10n, new Map()]) {
      await expect(
        service.appendEvent({ session, event: event("bad", { ok: 1, bad }) }),
      ).rejects.toMatchObject({ code: "VALIDATION" });
      await expect(service.createSession({ ...key, sessionId: "x", state: { bad } })).rejects.toMatchObject({
        code: "VALIDATION",
      });
    }
    expect(session.events).toStrictEqual([]);
    const stored = (await service.getSession(key)) as Session;
    expect(stored.events).toStrictEqual([]);
    expect(stored.state).toStrictEqual({});
    expect(await service.getSession({ ...key, sessionId: "x" })).toBeUndefined();
    await expect(service.getSession({ ...key, config: { numRecentEvents: -1 } })).rejects.toMatchObject({
      code: "VALIDATION",
    });
  });

  it("keeps bytes, undefined values and $ keys exactly", async () => {
    const service = new AgentStateSessionService(await backend.createStore());
    const session = await service.createSession(key);
    const value = {
      $bytes: "not bytes",
      $undefined: true,
      data: new Uint8Array([0, 1, 255]),
      gone: undefined,
    };
    const e = event("e1", { value }, { customMetadata: { $ref: "#/x", nested: { $$: 1 } } });
    await service.appendEvent({ session, event: e });
    const stored = (await service.getSession(key)) as Session;
    expect(stored.state.value).toStrictEqual(value);
    // ADK's own trimming left `e.actions.stateDelta` a null-prototype object: compare as plain objects.
    expect(normalise(stored.events[0])).toStrictEqual(normalise(e));
    expect(stored.events[0]?.actions.stateDelta.value).toStrictEqual(value);
  });

  it("an untracked Session object (another process's, after a restart) appends only when it is current", async () => {
    const store = await backend.createStore();
    const before = new AgentStateSessionService(store);
    const held = await before.createSession(key);
    await before.appendEvent({ session: held, event: event("e1") });
    const old = structuredClone(held);
    await before.appendEvent({ session: held, event: event("e2") });
    const after = new AgentStateSessionService(store); // a restart: this service has seen no Session object
    await expect(after.appendEvent({ session: old, event: event("x") })).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
    await after.appendEvent({ session: held, event: event("e3") });
    expect((await after.getSession(key))?.events.map((e) => e.id)).toStrictEqual(["e1", "e2", "e3"]);
  });

  it("an atomic write that fails leaves events, session state and user state as they were", async () => {
    const store = await backend.createStore();
    let fail = false;
    const counted = instrumented(store, { failRecordWrite: () => fail });
    const service = new AgentStateSessionService(counted.store);
    const session = await service.createSession(key);
    await service.appendEvent({ session, event: event("e1", { a: 1, "user:u": 1 }) });
    fail = true;
    await expect(
      service.appendEvent({ session, event: event("e2", { a: 2, "user:u": 2 }) }),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
    fail = false;
    const stored = (await new AgentStateSessionService(store).getSession(key)) as Session;
    expect(stored.events.map((e) => e.id)).toStrictEqual(["e1"]);
    expect(stored.state).toStrictEqual({ a: 1, "user:u": 1 });
    expect(session.events.map((e) => e.id)).toStrictEqual(["e1"]);
    // The same object appends again once the store is back.
    await service.appendEvent({ session, event: event("e2", { a: 2, "user:u": 2 }) });
    expect((await service.getSession(key))?.state).toStrictEqual({ a: 2, "user:u": 2 });
  });

  it("retrying an append whose first try was committed but reported a failure (a timeout) succeeds once", async () => {
    const store = await backend.createStore();
    let failAfter = false;
    const records: StateStore["records"] = {
      get: (scope, keys) => store.records.get(scope, keys),
      range: (scope, opts) => store.records.range(scope, opts),
      clear: (scope) => store.records.clear(scope),
      async write(scope, ops, opts) {
        const written = await store.records.write(scope, ops, opts);
        if (failAfter && opts?.atomic) throw new UnavailableError("timed out (but committed)");
        return written;
      },
    };
    const flaky = new Proxy(store, {
      get: (target, property) => (property === "records" ? records : Reflect.get(target, property, target)),
    });
    const service = new AgentStateSessionService(flaky);
    const session = await service.createSession(key);
    const e1 = event("e1", { a: 1, "user:u": 1, "app:x": 1 });
    failAfter = true;
    await expect(service.appendEvent({ session, event: e1 })).rejects.toMatchObject({ code: "UNAVAILABLE" });
    failAfter = false;
    await service.appendEvent({ session, event: e1 }); // the caller's retry of the same event
    expect(session.events.map((e) => e.id)).toStrictEqual(["e1"]);
    const stored = (await service.getSession(key)) as Session;
    expect(stored.events.map((e) => e.id)).toStrictEqual(["e1"]);
    expect(stored.state).toStrictEqual({ a: 1, "user:u": 1, "app:x": 1 });
    // Another event is still refused through a stale object.
    await service.appendEvent({ session: stored, event: event("e2") });
    await expect(service.appendEvent({ session, event: event("e3") })).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
  });

  it("an app-state write lost after the commit is rolled forward once, by the next get or append", async () => {
    const store = await backend.createStore();
    let failApp = false;
    const counted = instrumented(store, {
      failRecordWrite: (scope) => failApp && scope === appScope("app"),
    });
    const service = new AgentStateSessionService(counted.store);
    const session = await service.createSession(key);
    failApp = true;
    await expect(
      service.appendEvent({ session, event: event("e1", { "app:x": 1, own: 1 }) }),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
    failApp = false;
    // The event and the session's own state were committed; the caller's object shows them.
    expect(session.events.map((e) => e.id)).toStrictEqual(["e1"]);
    // Another session then writes app:x; the roll-forward must not apply the old delta again after that.
    const restarted = new AgentStateSessionService(store);
    expect((await restarted.getSession(key))?.state).toStrictEqual({ own: 1, "app:x": 1 });
    const other = await restarted.createSession({ ...key, sessionId: "s2" });
    await restarted.appendEvent({ session: other, event: event("o1", { "app:x": 2 }) });
    expect((await restarted.getSession(key))?.state).toStrictEqual({ own: 1, "app:x": 2 });
    // And the service that lost the write appends through the same object, without undoing app:x = 2.
    await service.appendEvent({ session, event: event("e2", { own: 2 }) });
    expect((await service.getSession(key))?.state).toStrictEqual({ own: 2, "app:x": 2 });
  });
});
