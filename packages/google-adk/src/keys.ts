import { createHash } from "node:crypto";

// Where an ADK session lives in the store's records (see the README's "How it is stored"):
//
//   scope "adk/u/<app>/<user>"   one per app and user (one DynamoDB partition, one Redis key set)
//     "m/<session>"                      the session: its own state, lastUpdateTime, event count, generation
//     "e/<session>/<gen>/<seq>"          its events in append order
//     "i/<session>/<gen>/<event id>"     event id → seq (an event appended again with its id replaces it)
//     "u"                                the user's state (ADK's "user:" keys), shared by the user's sessions
//   scope "adk/a/<app>"          one per app
//     "s"                                the app's state (ADK's "app:" keys), shared by every session of the app
//     "u/<user>"                         one per user with sessions, so the app's sessions can be listed
//
// Every name is escaped (encodeURIComponent, which escapes "/"), or past 128 characters replaced by "%~" and
// its SHA-256 (a form no escaped name can take, since "%" is always followed by two hex digits there): so no
// two distinct names meet, whatever they contain, and every scope and key stays within the store's limits.

const MAX_READABLE = 128;

/** A name as one path segment: escaped, or hashed when long. Distinct names give distinct segments. */
export function segment(name: string): string {
  const escaped = encodeURIComponent(name);
  if (escaped.length <= MAX_READABLE) return escaped;
  return `%~${createHash("sha256").update(name, "utf8").digest("base64url")}`;
}

export function userScope(appName: string, userId: string): string {
  return `adk/u/${segment(appName)}/${segment(userId)}`;
}

export function appScope(appName: string): string {
  return `adk/a/${segment(appName)}`;
}

export const USER_STATE_KEY = "u";
export const APP_STATE_KEY = "s";
export const SESSION_PREFIX = "m/";
export const USER_MARKER_PREFIX = "u/";

export function sessionKey(sessionId: string): string {
  return `${SESSION_PREFIX}${segment(sessionId)}`;
}

export function userMarkerKey(userId: string): string {
  return `${USER_MARKER_PREFIX}${segment(userId)}`;
}

/** The prefix of one generation's events: a session re-created after a delete starts a new generation. */
export function eventPrefix(sessionId: string, generation: string): string {
  return `e/${segment(sessionId)}/${generation}/`;
}

const SEQ_WIDTH = 12;

export function eventKey(sessionId: string, generation: string, seq: number): string {
  return `${eventPrefix(sessionId, generation)}${String(seq).padStart(SEQ_WIDTH, "0")}`;
}

export function eventIndexPrefix(sessionId: string, generation: string): string {
  return `i/${segment(sessionId)}/${generation}/`;
}

export function eventIndexKey(sessionId: string, generation: string, eventId: string): string {
  return `${eventIndexPrefix(sessionId, generation)}${segment(eventId)}`;
}
