import type { StateStore } from "@agent-state/core";
import { createEvent, type Event } from "@google/adk";

/** The one session the two-process tests (DAX, multi-region) share. */
export const key = { appName: "app", userId: "ada", sessionId: "s1" };
let clock = Date.UTC(2026, 0, 1);

/** A user event carrying only `stateDelta`, each one a millisecond after the last. */
export function event(id: string, stateDelta: Record<string, unknown> = {}): Event {
  return createEvent({
    id,
    invocationId: "inv",
    author: "user",
    actions: { stateDelta },
    timestamp: ++clock,
  });
}

/** Every record of these scopes as text, one line each (to look for what must not be there). */
export async function dumpRecords(store: StateStore, scopes: string[]): Promise<string> {
  const parts: string[] = [];
  for (const scope of scopes) {
    let cursor: string | undefined;
    do {
      const page = await store.records.range(scope, { limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const record of page.items) parts.push(`${record.key}=${JSON.stringify(record.value)}`);
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }
  return parts.join("\n");
}
