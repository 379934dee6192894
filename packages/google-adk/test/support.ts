import type { StateStore } from "@agent-state/core";

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
