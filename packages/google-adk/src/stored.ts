import {
  canonicalJson,
  isStateStoreError,
  type Json,
  type StoredRecord,
  type VersionConflictError,
} from "@agent-state/core";
import type { Event } from "@google/adk";
import { decode, decodeState, encodeState } from "./codec.js";
import type { ScopedDelta } from "./state.js";

// What the service keeps in its records (see keys.ts for where), and how it reads them back.

const EVENT_SIGNATURE = Symbol.for("google.adk.event");

/**
 * A deleted session's "m/<id>" record. Kept (not deleted) so that the record's version keeps growing: a
 * `Session` object of the old session can never match the version of one re-created under its id.
 */
export interface DeletedSession {
  deleted: true;
  generation: string;
}

/** A session as stored in its "m/<id>" record. */
export interface StoredSession {
  deleted?: undefined;
  id: string;
  /** Random per creation: a session re-created under the same id never sees the old one's events. */
  generation: string;
  /** The session's own state (no app:, user: or temp: keys), each value encoded. */
  state: Record<string, Json>;
  lastUpdateTime: number;
  /** Event records written (an event appended again with its id replaces one, not counted). */
  events: number;
  lastEventId: string | null;
  /** The app-state delta of the last write that had one, until it is known to be applied (see the README). */
  pendingApp: PendingApp | null;
}

export interface PendingApp {
  token: string;
  delta: Record<string, Json>;
}

/** The app's shared state ("s") and the tokens of the last deltas applied to it. */
export interface StoredAppState {
  state: Record<string, Json>;
  applied: string[];
}

export function toEvent(record: StoredRecord): Event {
  const event = decode(record.value as Json) as Event;
  // What `createEvent` sets and `isEvent` checks; JSON cannot carry a symbol.
  Object.defineProperty(event, EVENT_SIGNATURE, {
    value: true,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return event;
}

/** True when two session records differ at most in their pending app delta's token. */
export function sameAppend(a: StoredSession, b: StoredSession): boolean {
  const comparable = (r: StoredSession) =>
    canonicalJson({ ...r, pendingApp: r.pendingApp?.delta ?? null } as unknown as Json);
  return comparable(a) === comparable(b);
}

/** The session a "m/<id>" record holds, or null for none or a deleted one. */
export function liveSession(record: StoredRecord | null | undefined): StoredSession | null {
  const value = record?.value as unknown as StoredSession | DeletedSession | undefined;
  return value && !value.deleted ? value : null;
}

export function appStateOf(record: StoredRecord | null): StoredAppState {
  return record ? (record.value as unknown as StoredAppState) : { state: {}, applied: [] };
}

export function encodedUserState(record: StoredRecord | null): Record<string, Json> {
  return record ? (record.value as { state: Record<string, Json> }).state : {};
}

export function userStateOf(record: StoredRecord | null): Record<string, unknown> {
  return decodeState(encodedUserState(record));
}

export function encodeDelta(
  delta: ScopedDelta,
  path: string,
): Record<keyof ScopedDelta, Record<string, Json>> {
  return {
    app: encodeState(delta.app, path),
    user: encodeState(delta.user, path),
    session: encodeState(delta.session, path),
  };
}

export function isConflictOn(error: unknown, key: string): boolean {
  return isStateStoreError(error, "VERSION_CONFLICT") && (error as VersionConflictError).key === key;
}
