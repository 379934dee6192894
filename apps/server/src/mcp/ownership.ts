import { type Session, SessionNotFoundError, type StateStore } from "@agent-state/core";

/**
 * The caller's live session, or `SessionNotFoundError`: another user's session answers exactly like a missing
 * one, so a caller learns nothing about sessions that are not theirs.
 */
export async function ownSession(store: StateStore, userId: string, sessionId: string): Promise<Session> {
  const session = await store.sessions.get(sessionId);
  if (!session || session.userId !== userId) throw new SessionNotFoundError(sessionId);
  return session;
}
