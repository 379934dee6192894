import {
  type CheckedRange,
  inRange,
  type Page,
  parseRecordRange,
  parseRecordWrite,
  type RecordOp,
  type RecordRangeOptions,
  type RecordStore,
  rangeBounds,
  rangeCursor,
  type StoredRecord,
  UnavailableError,
  validateRecordKeys,
  validateScope,
} from "@agent-state/core";
import { BATCH_GET_MAX_KEYS, backoffDelayMs, batchGetAll, batchWriteAll, sleep } from "./batch.js";
import { readConsistency, type StoreContext } from "./context.js";
import { cancellationReasons, toStoreError } from "./errors.js";
import { readPayloads } from "./large-values.js";
import { forEachQueryPage } from "./query-pages.js";
import {
  chunkBaseOf,
  isLiveRecord,
  keyOf,
  type RecordItem,
  stateOf,
  toStoredRecord,
} from "./record-items.js";
import { writeRecords } from "./record-write.js";
import { RECORD_SK_PREFIX, recordPk, recordSk } from "./schema.js";

/** Reads of a head whose chunks were replaced meanwhile are repeated this often before giving up. */
const READ_ATTEMPTS = 4;

/**
 * `store.records` on the records table (the sessions table unless named): one partition per scope (`records#<scope>`), a head item per key
 * (`r#<key>`), chunk items of large values below them (`c#…`). See README, "Records".
 */
export class DynamoRecords implements RecordStore {
  constructor(private readonly context: StoreContext) {}

  /** One BatchGetItem of the distinct keys (plus one for the chunks of large values), through the reader. */
  async get(scope: string, keys: string[]): Promise<(StoredRecord | null)[]> {
    const validScope = validateScope(scope);
    const list = validateRecordKeys(keys);
    const distinct = [...new Set(list)];
    const { context } = this;
    const pk = recordPk(validScope);
    const table = context.tables.records;
    const found = new Map<string, StoredRecord | null>();
    let pending = distinct;
    let strong = context.consistentReads;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > READ_ATTEMPTS) throw new UnavailableError("records.get: values kept changing while read");
      const client = strong ? context.main : context.reader;
      const items = (await batchGetAll(
        client,
        table,
        pending.map((key) => ({ pk, sk: recordSk(key) })),
        strong,
        "records.get",
      )) as unknown as RecordItem[];
      const now = context.clock();
      const keyed = items.some((item) => item.bid !== undefined)
        ? ((await serializableHeads(context, pk, pending)) ?? items)
        : items;
      const byKey = new Map(keyed.map((item) => [keyOf(item), item]));
      const live = pending.map((key) => byKey.get(key)).filter((i): i is RecordItem => isLiveRecord(i, now));
      const decoded = await decodeHeads(context, live, "records.get");
      for (const key of pending)
        if (!byKey.has(key) || !isLiveRecord(byKey.get(key), now)) found.set(key, null);
      const retry: string[] = [];
      live.forEach((item, i) => {
        const record = decoded[i];
        if (record === null || record === undefined) retry.push(keyOf(item));
        else {
          found.set(record.key, record);
          context.headStates.set(validScope, record.key, stateOf(item, now));
        }
      });
      pending = retry;
      strong = true;
    }
    return list.map((key) => found.get(key) ?? null);
  }

  /** One Query per page on the scope's partition, in key order (DynamoDB's), skipping expired records. */
  async range(scope: string, opts?: RecordRangeOptions): Promise<Page<StoredRecord>> {
    const range = parseRecordRange(scope, opts);
    const { context } = this;
    const bounds = sortKeyBounds(range);
    const items: StoredRecord[] = [];
    if (bounds === null) return { items, cursor: null };
    const { lo, hi } = bounds;
    const pk = recordPk(range.scope);
    let startKey: Record<string, unknown> | undefined;
    let retries = 0;
    for (;;) {
      let output: Awaited<ReturnType<typeof context.reader.query>>;
      try {
        output = await context.reader.query({
          TableName: context.tables.records,
          KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lo AND :hi",
          ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
          ExpressionAttributeValues: { ":pk": pk, ":lo": lo, ":hi": hi },
          ScanIndexForward: range.order === "asc",
          // +2: one to know there is more, one for an exclusive bound the inclusive BETWEEN may return.
          Limit: range.limit - items.length + 2,
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
          ...readConsistency(context),
        });
      } catch (error) {
        throw toStoreError(error, "records.range");
      }
      const now = context.clock();
      const page = (output.Items ?? []) as unknown as RecordItem[];
      if (!(await consistentPage(context, pk, page)) && retries++ < READ_ATTEMPTS) continue;
      const heads = page.filter((item) => isLiveRecord(item, now) && inRange(range, keyOf(item)));
      const decoded = await decodeHeads(context, heads, "records.range");
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i] as RecordItem;
        // Replaced since the page was read (its old chunks are gone): read the key again, strongly.
        const record = decoded[i] ?? (await this.readOneStrongly(range.scope, keyOf(head)));
        if (record === null) continue;
        items.push(record);
        context.headStates.set(range.scope, record.key, stateOf(head, now));
        if (items.length > range.limit) {
          const page = items.slice(0, range.limit);
          return { items: page, cursor: rangeCursor(range, page, true) };
        }
      }
      if (output.LastEvaluatedKey === undefined) return { items, cursor: null };
      startKey = output.LastEvaluatedKey;
    }
  }

  /** Puts and deletes; see record-write.ts for the single writes and the transaction. */
  async write(scope: string, ops: RecordOp[], opts?: { atomic?: boolean }): Promise<StoredRecord[]> {
    const checked = parseRecordWrite(scope, ops, opts);
    return writeRecords(this.context, checked);
  }

  /** Query of the whole partition (heads and chunks, keys only) + BatchWriteItem deletes in batches of 25. */
  async clear(scope: string): Promise<boolean> {
    const validScope = validateScope(scope);
    const { context } = this;
    const pk = recordPk(validScope);
    const table = context.tables.records;
    const now = context.clock();
    let held = false;
    await forEachQueryPage(
      context.main,
      {
        TableName: table,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: {
          "#pk": "pk",
          "#sk": "sk",
          "#version": "version",
          "#expiresAt": "expiresAt",
        },
        ExpressionAttributeValues: { ":pk": pk },
        ProjectionExpression: "#sk, #version, #expiresAt",
        ConsistentRead: true,
      },
      "records.clear",
      async (items) => {
        for (const item of items) {
          if (String(item.sk).startsWith(RECORD_SK_PREFIX) && isLiveRecord(item, now)) held = true;
        }
        await batchWriteAll(
          context.writer,
          table,
          items.map((item) => ({ DeleteRequest: { Key: { pk, sk: item.sk } } })),
          "records.clear",
        );
      },
    );
    context.headStates.forgetScope(validScope);
    return held;
  }

  private async readOneStrongly(scope: string, key: string): Promise<StoredRecord | null> {
    const strong = { ...this.context, reader: this.context.main, consistentReads: true };
    const [record] = await new DynamoRecords(strong).get(scope, [key]);
    return record ?? null;
  }
}

/**
 * The heads of these keys read serializably (TransactGetItems), for keys written by atomic batches: Query and
 * BatchGetItem are read-committed per item and can see half of a transaction. Null when the client has no
 * TransactGetItems or the heads pass its 4 MB (then the plain read stands).
 */
async function serializableHeads(
  context: StoreContext,
  pk: string,
  keys: string[],
): Promise<RecordItem[] | null> {
  const transactGet = context.main.transactGet?.bind(context.main);
  if (transactGet === undefined || keys.length === 0) return null;
  const heads: RecordItem[] = [];
  // ≤ 100 items per TransactGetItems: a page of more is checked 100 keys at a time.
  for (let start = 0; start < keys.length; start += BATCH_GET_MAX_KEYS) {
    const group = keys.slice(start, start + BATCH_GET_MAX_KEYS);
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await transactGet({
          TransactItems: group.map((key) => ({
            Get: { TableName: context.tables.records, Key: { pk, sk: recordSk(key) } },
          })),
        });
        for (const response of output.Responses ?? []) {
          if (response?.Item) heads.push(response.Item as unknown as RecordItem);
        }
        break;
      } catch (error) {
        // Cancelled by a transaction in flight on these items: read again shortly.
        if (cancellationReasons(error) !== null && attempt < READ_ATTEMPTS * 2) {
          await sleep(backoffDelayMs(attempt));
          continue;
        }
        // Over TransactGetItems' 4 MB: the plain read stands.
        if ((error as { name?: string }).name === "ValidationException") return null;
        throw toStoreError(error, "records.read");
      }
    }
  }
  return heads;
}

/**
 * True unless the page holds heads of an atomic batch that a serializable read of the same keys contradicts
 * (the Query saw part of a batch in flight: read the page again).
 */
async function consistentPage(context: StoreContext, pk: string, page: RecordItem[]): Promise<boolean> {
  if (!page.some((item) => item.bid !== undefined)) return true;
  const snapshot = await serializableHeads(context, pk, page.map(keyOf));
  if (snapshot === null) return true;
  const now = new Map(snapshot.map((item) => [item.sk, item]));
  return page.every((item) => {
    const current = now.get(item.sk);
    return current !== undefined && current.version === item.version && current.bid === item.bid;
  });
}

/** The records of these heads, in order; null where a chunk is gone (the head was replaced since). */
async function decodeHeads(
  context: StoreContext,
  heads: RecordItem[],
  operation: string,
): Promise<Array<StoredRecord | null>> {
  const payloads = await readPayloads(
    context,
    context.tables.records,
    heads.map((item) => ({ pk: item.pk, base: chunkBaseOf(item), attributes: item })),
    operation,
  );
  return heads.map((item, i) => {
    const payload = payloads[i];
    return payload === null || payload === undefined ? null : toStoredRecord(item, payload);
  });
}

/**
 * Inclusive sort-key bounds covering the range (null when it is empty) (prefix, after, before, cursor): the Query reads exactly
 * these, and `inRange` drops the bound keys themselves where a bound is exclusive.
 */
export function sortKeyBounds(range: CheckedRange): { lo: string; hi: string } | null {
  const { low, high } = rangeBounds(range);
  let lo = RECORD_SK_PREFIX + range.prefix;
  if (low !== undefined && compareUtf8(RECORD_SK_PREFIX + low, lo) > 0) lo = RECORD_SK_PREFIX + low;
  let hi = RECORD_SK_PREFIX + prefixUpperBound(range.prefix);
  if (high !== undefined && compareUtf8(RECORD_SK_PREFIX + high, hi) < 0) hi = RECORD_SK_PREFIX + high;
  if (compareUtf8(lo, hi) > 0) return null;
  return { lo, hi };
}

/** Compares by UTF-8 bytes, as DynamoDB does. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * The smallest string above every key that starts with `prefix`: the prefix with its last code point
 * raised by one (past the surrogate block), dropping code points that cannot be raised. The empty prefix
 * gives U+10FFFF repeated, above every key of ≤ 512 bytes.
 */
function prefixUpperBound(prefix: string): string {
  const points = Array.from(prefix, (c) => c.codePointAt(0) as number);
  while (points.length > 0) {
    const last = (points.pop() as number) + 1;
    if (last <= 0x10ffff) {
      points.push(last >= 0xd800 && last <= 0xdfff ? 0xe000 : last);
      return String.fromCodePoint(...points);
    }
  }
  return "\u{10FFFF}".repeat(130);
}
