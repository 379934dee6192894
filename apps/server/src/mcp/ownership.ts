import { type Message, type Session, SessionNotFoundError, type StateStore } from "@agent-state/core";

/**
 * The caller's live session (with `recentMessages` when asked), or `SessionNotFoundError`: another user's
 * session answers exactly like a missing one, so a caller learns nothing about sessions that are not theirs.
 */
export async function ownSession(
  store: StateStore,
  userId: string,
  sessionId: string,
  opts?: { recentMessages: number },
): Promise<Session & { recentMessages?: Message[] }> {
  const session = await store.sessions.get(sessionId, opts);
  if (!session || session.userId !== userId) throw new SessionNotFoundError(sessionId);
  return session;
}
