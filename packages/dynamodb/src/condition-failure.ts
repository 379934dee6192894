import type { StoreContext } from "./context.js";
import { conditionFailureItem, toStoreError } from "./errors.js";

type Item = Record<string, unknown>;

/**
 * The item a failed condition was checked against: the `ALL_OLD` item of the failure when the writer returned
 * it, else (a writer such as DAX, which does not return it for single-item writes) the item as it is now, read
 * strongly from the store's own client. Null when there is no item. Either answer is at least as new as the
 * write that failed, so callers decide the same way whichever client wrote.
 */
export async function itemBehindConditionFailure(
  context: StoreContext,
  error: unknown,
  table: string,
  key: Item,
  operation: string,
): Promise<Item | null> {
  return conditionFailureItem(error) ?? (await strongGet(context, table, key, operation));
}

/** One item read strongly through the store's own client (never DAX), or null when there is none. */
export async function strongGet(
  context: StoreContext,
  table: string,
  key: Item,
  operation: string,
): Promise<Item | null> {
  try {
    const output = await context.main.get({ TableName: table, Key: key, ConsistentRead: true });
    return output.Item ?? null;
  } catch (error) {
    throw toStoreError(error, operation);
  }
}
