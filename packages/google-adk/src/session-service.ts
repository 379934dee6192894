import { randomUUID } from "node:crypto";
import {
  AlreadyExistsError,
  type Clock,
  type Json,
  LIMITS,
  type RecordOp,
  SessionNotFoundError,
  type StateStore,
  type StoredRecord,
  ValidationError,
  VersionConflictError,
} from "@agent-state/core";
import {
  type AppendEventRequest,
  BaseSessionService,
  type CreateSessionRequest,
  type DeleteSessionRequest,
  type Event,
  type GetSessionConfig,
  type GetSessionRequest,
  type ListSessionsRequest,
  type ListSessionsResponse,
  type Session,
} from "@google/adk";
import { checkConfig, checkName, checkPaging, checkState } from "./checks.js";
import { decodeState, encode } from "./codec.js";
import {
  APP_STATE_KEY,
  appScope,
  eventIndexKey,
  eventIndexPrefix,
  eventKey,
  eventPrefix,
  SESSION_PREFIX,
  sessionKey,
  USER_MARKER_PREFIX,
  USER_STATE_KEY,
  userMarkerKey,
  userScope,
} from "./keys.js";
import { paginate } from "./paging.js";
import { isEmpty, mergeStates, splitDelta, withoutTemp } from "./state.js";
import {
  appStateOf,
  type DeletedSession,
  encodeDelta,
  encodedUserState,
  isConflictOn,
  liveSession,
  type PendingApp,
  type StoredAppState,
  type StoredSession,
  sameAppend,
  toEvent,
  userStateOf,
} from "./stored.js";

export interface AgentStateSessionServiceOptions {
  /** The source of "now" (epoch ms) for a new session's `lastUpdateTime`. Default `Date.now`. */
  clock?: Clock;
  /**
   * How many times a write re-reads and retries when another session changed the shared user or app state
   * between its read and its write (never when this session itself changed: that is a stale session).
   * Default 20; past it the write throws `VersionConflictError`.
   */
  maxStateAttempts?: number;
}

/** What this service last wrote or read of the session behind a `Session` object it returned. */
interface Tracked {
  version: number;
  stored: StoredSession;
  /** True once `stored.pendingApp` is known to be applied to the app state. */
  appApplied: boolean;
}

/** How many applied app-delta tokens the app record remembers (for the roll-forward of a crashed write). */
const APPLIED_TOKENS_KEPT = 64;
const PAGE = LIMITS.maxPageSize;
const DELETE_BATCH = LIMITS.maxRecordOpsPerWrite;

/** A `Session` object older than what is stored: another writer appended since it was read. */
export class StaleSessionError extends VersionConflictError {
  constructor(sessionId: string, expectedVersion: number, actualVersion: number) {
    super({ sessionId, expectedVersion, actualVersion });
    this.message =
      `session ${JSON.stringify(sessionId)} changed since this Session object was read ` +
      "(a stale session): get the session again, then append";
  }
}

/**
 * Google ADK's session service on an agent-state `StateStore` (memory, DynamoDB with DAX or multi-region,
 * Redis): sessions, their events and their state, with app and user state shared across sessions the way ADK
 * defines (`app:` keys per app, `user:` keys per app and user, `temp:` keys never stored). Everything goes
 * through the store's records. See the README for the layout, the guarantees and what each call costs.
 */
export class AgentStateSessionService extends BaseSessionService {
  private readonly store: StateStore;
  private readonly clock: Clock;
  private readonly maxStateAttempts: number;
  private readonly tracked = new WeakMap<Session, Tracked>();
  private readonly queues = new WeakMap<Session, Promise<unknown>>();

  constructor(store: StateStore, options: AgentStateSessionServiceOptions = {}) {
    super();
    this.store = store;
    this.clock = options.clock ?? (() => Date.now());
    this.maxStateAttempts = options.maxStateAttempts ?? 20;
  }

  /**
   * Creates a session (a new random id when `sessionId` is absent or empty). `app:` and `user:` keys of
   * `state` go to the shared app and user state, `temp:` keys are dropped. Throws `AlreadyExistsError` when
   * the app and user already have a session with that id.
   */
  async createSession(request: CreateSessionRequest): Promise<Session> {
    const appName = checkName("appName", request.appName);
    const userId = checkName("userId", request.userId);
    const id = request.sessionId ? checkName("sessionId", request.sessionId) : randomUUID();
    const delta = splitDelta(checkState(request.state));
    const encoded = encodeDelta(delta, "state");
    const now = this.clock();
    const scope = userScope(appName, userId);
    const pendingApp = isEmpty(encoded.app) ? null : { token: randomUUID(), delta: encoded.app };
    const stored: StoredSession = {
      id,
      generation: randomUUID(),
      state: encoded.session,
      lastUpdateTime: now,
      events: 0,
      lastEventId: null,
      pendingApp,
    };
    const [[existing, userRecord], [appRecord, marker]] = await Promise.all([
      this.store.records.get(scope, [sessionKey(id), USER_STATE_KEY]),
      this.store.records.get(appScope(appName), [APP_STATE_KEY, userMarkerKey(userId)]),
    ]);
    if (liveSession(existing)) throw new AlreadyExistsError(id);
    // The marker first: a listing of the app may then show a user without sessions, never miss a session.
    if (!marker) {
      await this.store.records.write(appScope(appName), [{ put: userMarkerKey(userId), value: { userId } }]);
    }
    const written = await this.commit(
      scope,
      encoded.user,
      (userOps) => [
        { put: sessionKey(id), value: stored as unknown as Json, ifVersion: existing?.version ?? 0 },
        ...userOps,
      ],
      userRecord ?? null,
    ).catch((error: unknown) => {
      if (isConflictOn(error, sessionKey(id))) throw new AlreadyExistsError(id);
      throw error;
    });
    const appState = pendingApp
      ? await this.applyAppDelta(appName, pendingApp)
      : decodeState(appStateOf(appRecord ?? null).state);
    const session: Session = {
      id,
      appName,
      userId,
      state: mergeStates(
        appState,
        decodeState(written.userState ?? encodedUserState(userRecord ?? null)),
        decodeState(stored.state),
      ),
      events: [],
      lastUpdateTime: now,
    };
    this.tracked.set(session, { version: written.sessionVersion, stored, appApplied: true });
    return session;
  }

  /**
   * The session with its state (app and user state merged in) and events, or undefined. `numRecentEvents`
   * keeps the newest n events; `afterTimestamp` then keeps the events after the last one older than it
   * (InMemorySessionService's rule); 0 or absent means no filter.
   */
  async getSession(request: GetSessionRequest): Promise<Session | undefined> {
    const appName = checkName("appName", request.appName);
    const userId = checkName("userId", request.userId);
    const id = checkName("sessionId", request.sessionId);
    const config = checkConfig(request.config);
    const scope = userScope(appName, userId);
    const [[sessionRecord, userRecord], [appRecord]] = await Promise.all([
      this.store.records.get(scope, [sessionKey(id), USER_STATE_KEY]),
      this.store.records.get(appScope(appName), [APP_STATE_KEY]),
    ]);
    const stored = liveSession(sessionRecord);
    if (!sessionRecord || !stored) return undefined;
    const appState = appStateOf(appRecord ?? null);
    // Roll forward an app delta whose write did not happen (a crash or outage right after the commit).
    const app =
      stored.pendingApp && !appState.applied.includes(stored.pendingApp.token)
        ? await this.applyAppDelta(appName, stored.pendingApp)
        : decodeState(appState.state);
    const events = await this.readEvents(scope, stored, config);
    const session: Session = {
      id,
      appName,
      userId,
      state: mergeStates(app, userStateOf(userRecord ?? null), decodeState(stored.state)),
      events,
      lastUpdateTime: stored.lastUpdateTime,
    };
    this.tracked.set(session, { version: sessionRecord.version, stored, appApplied: true });
    return session;
  }

  /**
   * The app's sessions (of one user when `userId` is given) without events or state, paged and ordered as
   * `ListSessionsRequest` says. Without `order` they come by user, then by session id key.
   */
  async listSessions(request: ListSessionsRequest): Promise<ListSessionsResponse> {
    const appName = checkName("appName", request.appName);
    const userId = request.userId === undefined ? undefined : checkName("userId", request.userId);
    const paging = checkPaging(request);
    const users =
      userId !== undefined
        ? [userId]
        : (await this.rangeAll(appScope(appName), USER_MARKER_PREFIX)).map(
            (record) => (record.value as { userId: string }).userId,
          );
    const perUser = await Promise.all(
      users.map(async (user) =>
        (await this.rangeAll(userScope(appName, user), SESSION_PREFIX)).flatMap((record): Session[] => {
          const stored = liveSession(record);
          if (!stored) return [];
          const session: Session = {
            id: stored.id,
            appName,
            userId: user,
            state: {},
            events: [],
            lastUpdateTime: stored.lastUpdateTime,
          };
          return [session];
        }),
      ),
    );
    return paginate(perUser.flat(), paging);
  }

  /** Removes the session and its events; nothing happens when there is none. The user and app state stay. */
  async deleteSession(request: DeleteSessionRequest): Promise<void> {
    const appName = checkName("appName", request.appName);
    const userId = checkName("userId", request.userId);
    const id = checkName("sessionId", request.sessionId);
    const scope = userScope(appName, userId);
    const [record] = await this.store.records.get(scope, [sessionKey(id)]);
    const stored = liveSession(record);
    if (!stored) return;
    const { generation } = stored;
    // The session record becomes a tombstone first, in one write: from then on the session is gone for every
    // reader and writer, and a session re-created under this id has a new generation, so it never sees events
    // this purge left behind.
    const tombstone: DeletedSession = { deleted: true, generation };
    await this.store.records.write(scope, [{ put: sessionKey(id), value: tombstone as unknown as Json }]);
    await this.purge(scope, eventPrefix(id, generation));
    await this.purge(scope, eventIndexPrefix(id, generation));
  }

  /**
   * Appends the event (a partial one is returned untouched), applying its state delta by scope, in one
   * atomic write of the event, the session's state and the user's state (see the README for the app
   * state). An event whose id the session already has replaces that event in place. Throws
   * `StaleSessionError` (code `VERSION_CONFLICT`) and writes nothing when the session changed since this
   * `Session` object was read or last appended to; appends through one object are applied in call order.
   * Then updates `session` as every ADK session service does (state, events, `lastUpdateTime`).
   */
  override async appendEvent(request: AppendEventRequest): Promise<Event> {
    const { session, event } = request;
    if (event.partial) return event;
    const next = (this.queues.get(session) ?? Promise.resolve()).then(() => this.appendNow(session, event));
    this.queues.set(
      session,
      next.catch(() => undefined),
    );
    return next;
  }

  private async appendNow(session: Session, event: Event): Promise<Event> {
    const appName = checkName("session.appName", session.appName);
    const userId = checkName("session.userId", session.userId);
    const id = checkName("session.id", session.id);
    const eventId = checkName("event.id", event.id);
    if (typeof event.timestamp !== "number" || !Number.isFinite(event.timestamp)) {
      throw new ValidationError("event.timestamp", "must be a finite number (epoch ms)");
    }
    const stateDelta = event.actions?.stateDelta;
    const kept = stateDelta ? withoutTemp(stateDelta) : undefined;
    const storedEvent = encode(
      kept ? { ...event, actions: { ...event.actions, stateDelta: kept } } : event,
      "event",
    );
    const delta = encodeDelta(splitDelta(kept), "event.actions.stateDelta");
    const scope = userScope(appName, userId);
    const pendingApp = isEmpty(delta.app) ? null : { token: randomUUID(), delta: delta.app };

    let tracked = this.tracked.get(session);
    if (!tracked?.appApplied) {
      tracked = await this.readTracked(scope, session, tracked);
      if (tracked.stored.pendingApp && !tracked.appApplied) {
        await this.applyAppDelta(appName, tracked.stored.pendingApp);
        tracked.appApplied = true;
      }
    }
    const base: Tracked = tracked;
    let replacedSeq: number | null = null;
    let result: { sessionVersion: number; next: StoredSession } | undefined;
    for (let attempt = 0; !result; attempt++) {
      const { stored, version } = base;
      const seq = replacedSeq ?? stored.events;
      const next: StoredSession = {
        ...stored,
        state: { ...stored.state, ...delta.session },
        lastUpdateTime: event.timestamp,
        events: replacedSeq === null ? stored.events + 1 : stored.events,
        lastEventId: replacedSeq === null ? eventId : stored.lastEventId,
        pendingApp,
      };
      try {
        const written = await this.commit(scope, delta.user, (userOps) => [
          { put: sessionKey(id), value: next as unknown as Json, ifVersion: version },
          { put: eventKey(id, stored.generation, seq), value: storedEvent },
          ...(replacedSeq === null
            ? [{ put: eventIndexKey(id, stored.generation, eventId), value: { seq }, ifVersion: 0 }]
            : []),
          ...userOps,
        ]);
        result = { sessionVersion: written.sessionVersion, next };
      } catch (error) {
        if (isConflictOn(error, sessionKey(id))) {
          const [current] = await this.store.records.get(scope, [sessionKey(id)]);
          const now = liveSession(current);
          if (!current || !now) throw new SessionNotFoundError(id);
          // A retry of this very append whose first try was committed although it reported a failure (a
          // timeout after DynamoDB committed the transaction): the record is exactly what it would have made.
          if (current.version === version + 1 && sameAppend(now, next)) {
            result = { sessionVersion: current.version, next: now };
            break;
          }
          throw new StaleSessionError(id, version, current.version);
        }
        if (!isConflictOn(error, eventIndexKey(id, stored.generation, eventId)) || attempt > 0) throw error;
        // The session already has an event with this id: replace it where it is.
        const [index] = await this.store.records.get(scope, [eventIndexKey(id, stored.generation, eventId)]);
        if (!index) throw error;
        replacedSeq = (index.value as { seq: number }).seq;
      }
    }
    const done = result;
    // The app delta to apply: this call's, or its committed first try's (same delta, that try's token).
    const appDelta = done.next.pendingApp;
    this.tracked.set(session, { version: done.sessionVersion, stored: done.next, appApplied: !appDelta });
    // The caller's Session object, exactly as ADK's own services update it.
    await super.appendEvent({ session, event });
    session.lastUpdateTime = event.timestamp;
    if (appDelta) {
      await this.applyAppDelta(appName, appDelta);
      const current = this.tracked.get(session);
      if (current?.stored === done.next) current.appApplied = true;
    }
    return event;
  }

  /** The stored session behind `session`, checked not to be newer than it (else `StaleSessionError`). */
  private async readTracked(scope: string, session: Session, known: Tracked | undefined): Promise<Tracked> {
    const [record] = await this.store.records.get(scope, [sessionKey(session.id)]);
    const stored = liveSession(record);
    if (!record || !stored) throw new SessionNotFoundError(session.id);
    const stale = known
      ? known.version !== record.version
      : stored.lastUpdateTime > session.lastUpdateTime ||
        (session.events.length > 0 && stored.lastEventId !== session.events.at(-1)?.id);
    if (stale) throw new StaleSessionError(session.id, known?.version ?? record.version, record.version);
    return { version: record.version, stored, appApplied: false };
  }

  /**
   * One atomic write of `ops(userOps)` in the user's scope, where `userOps` puts the user state with
   * `userDelta` applied (none when it is empty), conditional on the user state read; re-read and retried
   * when another session of the user changed it in between.
   */
  private async commit(
    scope: string,
    userDelta: Record<string, Json>,
    ops: (userOps: RecordOp[]) => RecordOp[],
    userRecord?: StoredRecord | null,
  ): Promise<{ sessionVersion: number; userState: Record<string, Json> | null }> {
    let known = userRecord;
    for (let attempt = 1; ; attempt++) {
      let userOps: RecordOp[] = [];
      let userState: Record<string, Json> | null = null;
      if (!isEmpty(userDelta)) {
        const record =
          known !== undefined ? known : (await this.store.records.get(scope, [USER_STATE_KEY]))[0]!;
        known = undefined;
        userState = { ...encodedUserState(record), ...userDelta };
        userOps = [{ put: USER_STATE_KEY, value: { state: userState }, ifVersion: record?.version ?? 0 }];
      }
      try {
        const [sessionRecord] = await this.store.records.write(scope, ops(userOps), { atomic: true });
        return { sessionVersion: sessionRecord?.version ?? 1, userState };
      } catch (error) {
        if (!isConflictOn(error, USER_STATE_KEY) || attempt >= this.maxStateAttempts) throw error;
        await backoff(attempt);
      }
    }
  }

  /**
   * Applies an app-state delta once (the token makes a repeat a no-op), conditional on the version read and
   * retried on a conflict with another session's write. Returns the app state after it.
   */
  private async applyAppDelta(appName: string, pending: PendingApp): Promise<Record<string, unknown>> {
    const scope = appScope(appName);
    for (let attempt = 1; ; attempt++) {
      const [record] = await this.store.records.get(scope, [APP_STATE_KEY]);
      const current = appStateOf(record ?? null);
      if (current.applied.includes(pending.token)) return decodeState(current.state);
      const next: StoredAppState = {
        state: { ...current.state, ...pending.delta },
        applied: [...current.applied, pending.token].slice(-APPLIED_TOKENS_KEPT),
      };
      try {
        await this.store.records.write(scope, [
          { put: APP_STATE_KEY, value: next as unknown as Json, ifVersion: record?.version ?? 0 },
        ]);
        return decodeState(next.state);
      } catch (error) {
        if (!isConflictOn(error, APP_STATE_KEY) || attempt >= this.maxStateAttempts) throw error;
        await backoff(attempt);
      }
    }
  }

  private async readEvents(scope: string, stored: StoredSession, config: GetSessionConfig): Promise<Event[]> {
    if (stored.events === 0) return [];
    const prefix = eventPrefix(stored.id, stored.generation);
    // Only the events the session record counts: a session record read from a cache a moment old is never
    // shown with events written after it.
    const before = eventKey(stored.id, stored.generation, stored.events);
    const recent = config.numRecentEvents || undefined;
    const after = config.afterTimestamp || undefined;
    let events: Event[];
    if (recent === undefined && after === undefined) {
      events = (await this.rangeAll(scope, prefix, before)).map(toEvent);
    } else {
      // Newest first, until `recent` events, or until one older than `after` (the suffix after it is kept).
      const newestFirst: Event[] = [];
      let cursor: string | undefined;
      do {
        const want = recent === undefined ? 100 : Math.min(PAGE, recent - newestFirst.length);
        const page = await this.store.records.range(scope, {
          prefix,
          before,
          order: "desc",
          limit: want,
          ...(cursor ? { cursor } : {}),
        });
        for (const record of page.items) newestFirst.push(toEvent(record));
        cursor = page.cursor ?? undefined;
        const reachedOlder =
          after !== undefined && newestFirst.some((candidate) => candidate.timestamp < after);
        if (reachedOlder || (recent !== undefined && newestFirst.length >= recent)) break;
      } while (cursor);
      events = newestFirst.reverse();
    }
    if (after !== undefined) {
      let i = events.length - 1;
      while (i >= 0 && (events[i] as Event).timestamp >= after) i--;
      if (i >= 0) events = events.slice(i + 1);
    }
    return events;
  }

  /** Every live record of the scope under `prefix` (and before `before`), in key order. */
  private async rangeAll(scope: string, prefix: string, before?: string): Promise<StoredRecord[]> {
    const all: StoredRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.records.range(scope, {
        prefix,
        ...(before !== undefined ? { before } : {}),
        limit: PAGE,
        ...(cursor ? { cursor } : {}),
      });
      all.push(...page.items);
      cursor = page.cursor ?? undefined;
    } while (cursor);
    return all;
  }

  /** Deletes every record under `prefix`, a batch at a time. */
  private async purge(scope: string, prefix: string): Promise<void> {
    for (;;) {
      const page = await this.store.records.range(scope, { prefix, limit: DELETE_BATCH });
      if (page.items.length === 0) return;
      await this.store.records.write(
        scope,
        page.items.map((record) => ({ delete: record.key })),
      );
      if (page.cursor === null) return;
    }
  }
}

/**
 * Waits before re-reading shared state that lost a race: exponential with full jitter, 5 ms to 320 ms, so
 * that the attempts outlast a read-through cache's staleness (the DAX decorator's L1 keeps answers 1 s).
 */
function backoff(attempt: number): Promise<void> {
  const capMs = 5 * 2 ** Math.min(attempt, 6);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
}
