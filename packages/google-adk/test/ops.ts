import {
  type BaseSessionService,
  createEvent,
  type Event,
  type GetSessionConfig,
  type ListSessionsRequest,
  type Session,
} from "@google/adk";

/**
 * A deep copy for comparing answers: objects become plain (ADK returns null-prototype state objects for state
 * given at creation, plain ones otherwise), everything else is kept as it is: undefined properties, the
 * event signature symbol, bytes, key sets.
 */
export function normalise(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normalise);
  const out: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor?.enumerable) out[key] = normalise((value as Record<string | symbol, unknown>)[key]);
  }
  return out;
}

export type SessionKey = { appName: string; userId: string; sessionId: string };

export type Op =
  | { op: "create"; key: SessionKey; state?: Record<string, unknown> }
  | { op: "get"; key: SessionKey; config?: GetSessionConfig }
  | { op: "list"; request: ListSessionsRequest }
  | { op: "delete"; key: SessionKey }
  | { op: "append"; key: SessionKey; event: Parameters<typeof createEvent>[0] & { id: string } };

export type Outcome = { value: unknown } | { threw: string };

const APPS = ["app", "other/app"];
const USERS = ["ada", "bob", "c:d/e"];
const STATE_KEYS = ["k1", "k2", "nested", "app:theme", "app:count", "user:lang", "user:seen", "temp:scratch"];

function pickFrom<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function randomValue(random: () => number, step: number): unknown {
  const r = random();
  if (r < 0.25) return step;
  if (r < 0.45) return `v${step}`;
  if (r < 0.6) return { deep: { list: [step, null, true], text: "ü \u{1F600}" } };
  if (r < 0.7) return undefined;
  if (r < 0.8) return null;
  return [step, { a: step % 3 === 0 }];
}

function randomState(random: () => number, step: number, allowShared: boolean): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  const count = Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const key = pickFrom(random, STATE_KEYS);
    if (!allowShared && (key.startsWith("app:") || key.startsWith("user:"))) continue;
    state[key] = randomValue(random, step);
  }
  return state;
}

/**
 * Draws random operations, tracking what the reference holds so most operations touch live sessions. It
 * keeps to what both services are specified to do alike (see the README's divergences): no createSession of
 * a live id, no `app:`/`user:` keys in createSession's state, no append to a deleted session, no partial
 * event (InMemorySessionService applies its app and user delta; the other services ignore it).
 */
export class OpGenerator {
  private readonly live = new Map<string, { key: SessionKey; eventIds: string[]; timestamps: number[] }>();
  private nextSession = 0;

  constructor(
    private readonly random: () => number,
    private readonly now: () => number,
  ) {}

  next(step: number): Op {
    const r = this.random();
    const live = [...this.live.values()];
    const target = live.length > 0 ? pickFrom(this.random, live) : undefined;
    if (!target || r < 0.15) {
      const deleted = [...this.deleted.values()];
      // Sometimes re-create a deleted session under its id: nothing of the old one may reappear.
      const key: SessionKey =
        deleted.length > 0 && this.random() < 0.3
          ? (deleted[0] as SessionKey)
          : {
              appName: pickFrom(this.random, APPS),
              userId: pickFrom(this.random, USERS),
              sessionId: pickFrom(this.random, ["s", "s:", "ü", "a/b"]) + String(this.nextSession++),
            };
      this.deleted.delete(id(key));
      this.live.set(id(key), { key, eventIds: [], timestamps: [] });
      const state = randomState(this.random, step, false);
      return {
        op: "create",
        key,
        ...(Object.keys(state).length > 0 || this.random() < 0.5 ? { state } : {}),
      };
    }
    if (r < 0.55) {
      const reuse = target.eventIds.length > 0 && this.random() < 0.1;
      const eventId = reuse ? pickFrom(this.random, target.eventIds) : `e${step}`;
      if (!reuse) target.eventIds.push(eventId);
      const timestamp = this.now();
      target.timestamps.push(timestamp);
      return {
        op: "append",
        key: target.key,
        event: {
          id: eventId,
          invocationId: `inv${Math.floor(step / 5)}`,
          ...(this.random() < 0.8 ? { author: pickFrom(this.random, ["user", "model"]) } : {}),
          content: { role: "user", parts: [{ text: `message ${step}` }] },
          actions: { stateDelta: randomState(this.random, step, true) },
          timestamp,
        },
      };
    }
    if (r < 0.78) {
      const config: GetSessionConfig = {};
      if (this.random() < 0.4) config.numRecentEvents = Math.floor(this.random() * 4);
      if (this.random() < 0.4 && target.timestamps.length > 0) {
        config.afterTimestamp = pickFrom(this.random, target.timestamps) + Math.floor(this.random() * 3) - 1;
      }
      const missing = this.random() < 0.1;
      const key = missing ? { ...target.key, sessionId: "missing" } : target.key;
      return { op: "get", key, ...(this.random() < 0.7 ? { config } : {}) };
    }
    if (r < 0.93) {
      const request: ListSessionsRequest = { appName: pickFrom(this.random, APPS) };
      if (this.random() < 0.6) request.userId = pickFrom(this.random, USERS);
      const order = this.random();
      if (order < 0.35) request.order = "asc";
      else if (order < 0.7) request.order = "desc";
      // Pages only in a specified order (without one, which sessions make a page is unspecified).
      if (request.order && this.random() < 0.5) {
        request.limit = Math.floor(this.random() * 3);
        if (this.random() < 0.5) request.page = 1 + Math.floor(this.random() * 3);
      }
      if (request.order && this.random() < 0.2) request.offset = Math.floor(this.random() * 3);
      return { op: "list", request };
    }
    this.live.delete(id(target.key));
    this.deleted.set(id(target.key), target.key);
    return { op: "delete", key: target.key };
  }

  private readonly deleted = new Map<string, SessionKey>();
}

export function id(key: SessionKey): string {
  return JSON.stringify([key.appName, key.userId, key.sessionId]);
}

/**
 * Runs one operation on a service. `sessions` holds, per session, the Session object this service last
 * returned for it (what an application holds and appends through); appends go through it.
 */
export async function apply(
  service: BaseSessionService,
  sessions: Map<string, Session>,
  op: Op,
): Promise<Outcome> {
  try {
    switch (op.op) {
      case "create": {
        const session = await service.createSession({
          ...op.key,
          ...(op.state ? { state: structuredClone(op.state) } : {}),
        });
        sessions.set(id(op.key), session);
        return { value: session };
      }
      case "get": {
        const session = await service.getSession({
          ...op.key,
          ...(op.config ? { config: { ...op.config } } : {}),
        });
        if (session) sessions.set(id(op.key), session);
        return { value: session };
      }
      case "list": {
        const response = await service.listSessions({ ...op.request });
        // Without `order` no order is specified: compare as sets.
        if (!op.request.order) response.sessions.sort((a, b) => compareKeys(a, b));
        return { value: response };
      }
      case "delete":
        sessions.delete(id(op.key));
        return { value: await service.deleteSession({ ...op.key }) };
      case "append": {
        const session = sessions.get(id(op.key));
        if (!session) throw new Error("no session object to append through");
        const event: Event = createEvent(structuredClone(op.event));
        const appended = await service.appendEvent({ session, event });
        // The caller's Session object is updated in place: compare it too.
        return { value: { appended, session } };
      }
    }
  } catch (error) {
    if (process.env.DEBUG_DIFF) console.error(op, error);
    return { threw: (error as { code?: string }).code ?? "Error" };
  }
}

function compareKeys(a: Session, b: Session): number {
  const x = `${a.userId}\u0000${a.id}`;
  const y = `${b.userId}\u0000${b.id}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
