/**
 * `AgentStateSessionService` on the in-memory store against ADK's own `InMemorySessionService`, measured in
 * the same run: the hot path of a `Runner` (appendEvent through the Session object it holds, a small
 * session-state delta each time) and getSession (a whole 50-event session, and its 10 newest events).
 * The ratio says how many times faster ADK's plain in-process maps are than the store's path (validation, JSON
 * encoding of each event, versioned records, an atomic write); it is what a test suite pays for running on the
 * same code as production.
 */
import { AgentStateSessionService } from "@agent-state/google-adk";
import { MemoryStateStore } from "@agent-state/memory";
import { type BaseSessionService, createEvent, InMemorySessionService, type Session } from "@google/adk";
import { Bench } from "tinybench";
import { markdownTable, opsPerSecond } from "./support.js";

const APPEND_SESSIONS = 200;
const READ_EVENTS = 50;
const RECENT = 10;
const key = (sessionId: string) => ({ appName: "bench", userId: "ada", sessionId });

function event(n: number) {
  return createEvent({
    id: `e${n}`,
    invocationId: `inv${Math.floor(n / 4)}`,
    author: n % 2 === 0 ? "user" : "helper",
    content: {
      role: n % 2 === 0 ? "user" : "model",
      parts: [{ text: `message ${n}: ${"lorem ipsum ".repeat(16)}` }],
    },
    actions: { stateDelta: { step: n, "temp:scratch": n } },
  });
}

interface Side {
  append: () => Promise<unknown>;
  readAll: () => Promise<unknown>;
  readRecent: () => Promise<unknown>;
}

async function side(service: BaseSessionService): Promise<Side> {
  const sessions: Session[] = [];
  for (let i = 0; i < APPEND_SESSIONS; i++) sessions.push(await service.createSession(key(`a${i}`)));
  const read = await service.createSession(key("read"));
  for (let n = 0; n < READ_EVENTS; n++) await service.appendEvent({ session: read, event: event(n) });
  let n = 0;
  return {
    append: () => {
      const i = n++;
      return service.appendEvent({ session: sessions[i % APPEND_SESSIONS] as Session, event: event(i) });
    },
    readAll: () => service.getSession(key("read")),
    readRecent: () => service.getSession({ ...key("read"), config: { numRecentEvents: RECENT } }),
  };
}

export default async function googleAdkBench(): Promise<void> {
  const store = new MemoryStateStore();
  const ours = await side(new AgentStateSessionService(store));
  const reference = await side(new InMemorySessionService());
  const paths: [string, keyof Side][] = [
    ["appendEvent (1 event, session-state delta)", "append"],
    [`getSession (all ${READ_EVENTS} events)`, "readAll"],
    [`getSession (numRecentEvents: ${RECENT} of ${READ_EVENTS})`, "readRecent"],
  ];
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  for (const [name, path] of paths) {
    bench.add(`ours: ${name}`, ours[path], { async: true });
    bench.add(`adk: ${name}`, reference[path], { async: true });
  }
  await bench.run();
  const rows = paths.map(([name]) => {
    const mine = opsPerSecond(bench.getTask(`ours: ${name}`));
    const theirs = opsPerSecond(bench.getTask(`adk: ${name}`));
    return [
      name,
      Math.round(mine).toLocaleString("en-US"),
      Math.round(theirs).toLocaleString("en-US"),
      `${(theirs / mine).toFixed(2)}×`,
    ];
  });
  console.log(
    markdownTable(
      [
        "path",
        "AgentStateSessionService on memory ops/s",
        "InMemorySessionService ops/s",
        "ratio (adk/ours)",
      ],
      rows,
    ),
  );
  console.log(`\nnode ${process.version}, ${bench.time} ms per task after ${bench.warmupTime} ms warm-up`);
  await store.close();
}
