import { readConsistency, type StoreContext } from "./context.js";
import { toStoreError } from "./errors.js";
import { refreshMessageTtlIfDue } from "./message-ttl.js";
import { META_SK, sessionPk } from "./schema.js";
import { isLiveItem, type SessionItem } from "./session-items.js";

/** The live meta item (via the reader), or null. */
export async function readMeta(context: StoreContext, sessionId: string): Promise<SessionItem | null> {
  let item: SessionItem | undefined;
  try {
    const output = await context.reader.get({
      TableName: context.tables.sessions,
      Key: { pk: sessionPk(sessionId), sk: META_SK },
      ...readConsistency(context),
    });
    item = output.Item as SessionItem | undefined;
  } catch (error) {
    throw toStoreError(error, "sessions.get");
  }
  if (item === undefined || !isLiveItem(item, context.clock())) return null;
  refreshMessageTtlIfDue(context, item);
  return item;
}
