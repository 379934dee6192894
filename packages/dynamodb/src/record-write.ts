import {
  type CheckedPut,
  type CheckedRecordOp,
  expiresAtFrom,
  type StoredRecord,
  toEpochSeconds,
  UnavailableError,
  VersionConflictError,
} from "@agent-state/core";
import { backoffDelayMs, sleep } from "./batch.js";
import { strongGet } from "./condition-failure.js";
import type { StoreContext } from "./context.js";
import {
  cancellationReasons,
  certainlyNotWritten,
  conditionFailureItem,
  isConditionFailure,
  toStoreError,
} from "./errors.js";
import {
  CHUNK_BYTES,
  type ChunkItem,
  COMPRESS_THRESHOLD_BYTES,
  chooseInline,
  deleteChunksQuietly,
  INLINE_MAX_BYTES,
  layoutPayload,
  type Payload,
  packPayload,
  writeChunks,
} from "./large-values.js";
import { type HeadState, RECORD_NAMES, type RecordItem, stateCondition, stateOf } from "./record-items.js";
import { recordChunkBase, recordPk, recordSk } from "./schema.js";

/** Rounds of "condition on the head state, learn the real one from ALL_OLD, try again" before giving up. */
const WRITE_ATTEMPTS = 30;
/** Single writes of one non-atomic batch in flight at once. */
const WRITE_CONCURRENCY = 16;

interface Prepared {
  op: CheckedRecordOp;
  /** The head to put (without its version), or null for a delete. */
  head: Omit<RecordItem, "version"> | null;
  chunks: ChunkItem[];
  /** What `put` returns (without the version). */
  result: Omit<StoredRecord, "version"> | null;
}

type Outcome = { record: StoredRecord | null; error?: undefined } | { error: unknown; record?: undefined };

/**
 * `records.write` on checked input. Every op is conditioned on the head state it assumes (the last one seen
 * by this process, or "no live record"), so the new version is exact without a read; a wrong guess fails
 * its condition, whose ALL_OLD item gives the real state for the next try, and an `ifVersion` the real state
 * contradicts is a `VersionConflictError`. Large values' chunks are written first (BatchWriteItem), heads
 * last; the chunks of a value a write replaced are deleted after it, and the chunks of a write that failed
 * are deleted too when DynamoDB certainly did not apply it (never after an unknown outcome, when the head
 * may have landed: orphans of that case are removed by the next write that replaces the head, or `clear`).
 *
 * - atomic: one TransactWriteItems of all heads (a single op is one conditional write: same guarantee);
 * - otherwise: one conditional PutItem/DeleteItem per op (with `ReturnValues: ALL_OLD`, which tells which
 *   chunks the write replaced: BatchWriteItem cannot), all attempted, the first failure thrown after.
 */
export async function writeRecords(
  context: StoreContext,
  write: { scope: string; ops: CheckedRecordOp[]; atomic: boolean },
): Promise<StoredRecord[]> {
  const now = context.clock();
  const table = context.tables.records;
  const packed = packPayloads(write.ops);
  const prepared = prepare(context, write, now, Array.isArray(packed) ? packed : await packed);
  const allChunks = prepared.flatMap((p) => p.chunks);
  if (allChunks.length > 0) await writeChunks(context, table, allChunks, "records.write");
  const atomic = write.atomic && prepared.length > 1;
  let outcomes: Outcome[];
  const single = prepared.length === 1 ? prepared[0] : undefined;
  if (single !== undefined && !atomic) {
    // One op (most writes): no batching machinery between the caller and its request.
    try {
      const record = await writeOne(context, write.scope, single, now);
      return record ? [record] : [];
    } catch (error) {
      if (certainlyNotWritten(error)) await dropChunks(context, single);
      throw error;
    }
  }
  if (atomic) {
    try {
      outcomes = (await writeTransaction(context, write.scope, prepared, now)).map((record) => ({ record }));
    } catch (error) {
      if (certainlyNotWritten(error)) await Promise.all(prepared.map((p) => dropChunks(context, p)));
      throw error;
    }
  } else {
    outcomes = new Array(prepared.length);
    for (let start = 0; start < prepared.length; start += WRITE_CONCURRENCY) {
      const slice = prepared.slice(start, start + WRITE_CONCURRENCY);
      const done = await Promise.all(
        slice.map((p) =>
          writeOne(context, write.scope, p, now).then(
            (record): Outcome => ({ record }),
            (error: unknown): Outcome => ({ error }),
          ),
        ),
      );
      done.forEach((outcome, i) => {
        outcomes[start + i] = outcome;
      });
    }
    await Promise.all(
      prepared.map((p, i) => {
        const failure = outcomes[i]?.error;
        return failure !== undefined && certainlyNotWritten(failure) ? dropChunks(context, p) : null;
      }),
    );
  }
  const failed = outcomes.find((o) => o.error !== undefined);
  if (failed !== undefined) throw failed.error;
  return outcomes.flatMap((o) => (o.record ? [o.record] : []));
}

/** The stored form of each put's value (null for a delete); only values big enough to compress wait. */
function packPayloads(ops: CheckedRecordOp[]): (Payload | null)[] | Promise<(Payload | null)[]> {
  const payloads: (Payload | null)[] = [];
  for (const op of ops) {
    if (op.kind === "put" && op.encoded.bytes.byteLength >= COMPRESS_THRESHOLD_BYTES) {
      return Promise.all(ops.map((one) => (one.kind === "put" ? packPayload(one.encoded.bytes) : null)));
    }
    payloads.push(op.kind === "put" ? { codec: "raw", data: op.encoded.bytes } : null);
  }
  return payloads;
}

function prepare(
  context: StoreContext,
  write: { scope: string; ops: CheckedRecordOp[]; atomic: boolean },
  now: number,
  payloads: (Payload | null)[],
): Prepared[] {
  const pk = recordPk(write.scope);
  // An atomic batch shares one item's budget; otherwise each value goes inline up to the item limit.
  const inline = write.atomic ? chooseInline(payloads.map((p) => p?.data.byteLength ?? 0)) : null;
  // Heads of one atomic batch carry its id, so that readers know to read them serializably.
  const batchId = write.atomic && write.ops.length > 1 ? { bid: context.ids.next() } : {};
  return write.ops.map((op, i): Prepared => {
    const payload = payloads[i];
    if (op.kind === "delete" || payload === null || payload === undefined) {
      return { op, head: null, chunks: [], result: null };
    }
    const put = op as CheckedPut;
    const expiresAt = put.ttlSeconds === undefined ? undefined : expiresAtFrom(now, put.ttlSeconds);
    const ttl = expiresAt === undefined ? undefined : toEpochSeconds(expiresAt);
    const isInline = inline === null ? payload.data.byteLength <= INLINE_MAX_BYTES : (inline[i] ?? false);
    const { attributes, chunks } = layoutPayload(payload, {
      inline: isInline,
      pk,
      chunkBase: (writeId) => recordChunkBase(put.key, writeId),
      writeId: isInline ? "" : context.ids.next(),
      ...(ttl !== undefined ? { ttl } : {}),
    });
    return {
      op,
      head: {
        pk,
        sk: recordSk(put.key),
        t: put.encoded.type === "bytes" ? "b" : "j",
        updatedAt: now,
        ...(expiresAt !== undefined ? { expiresAt, ttl: toEpochSeconds(expiresAt) } : {}),
        ...attributes,
        ...batchId,
      },
      chunks,
      result: { key: put.key, value: put.value, updatedAt: now, expiresAt: expiresAt ?? null },
    };
  });
}

/** The state a write assumes first: what `ifVersion` says, else the last one seen, else "no live record". */
function initialState(context: StoreContext, scope: string, op: CheckedRecordOp): HeadState {
  const cached = context.headStates.get(scope, op.key);
  if (op.ifVersion === 0) return null;
  if (op.ifVersion !== undefined) {
    return { version: op.ifVersion, vid: cached?.version === op.ifVersion ? cached.vid : null };
  }
  return cached ?? null;
}

/** The conflict when the real state contradicts the op's `ifVersion`, else null (the guess was just wrong). */
function conflictWith(scope: string, op: CheckedRecordOp, actual: HeadState): VersionConflictError | null {
  if (op.ifVersion === undefined) return null;
  const actualVersion = actual?.version ?? 0;
  return actualVersion === op.ifVersion
    ? null
    : VersionConflictError.forRecord(scope, op.key, op.ifVersion, actualVersion);
}

/**
 * The condition parts for a write assuming `state`; `firstTry` assumes "no live record" means no item at all
 * (true for every new key), so that the condition is the simplest one DynamoDB can check.
 */
function conditionParts(state: HeadState, now: number, firstTry: boolean) {
  const values: Record<string, unknown> = {};
  const condition = stateCondition(state, values, firstTry);
  if (condition.includes(":now")) values[":now"] = now;
  const names = namesOf(condition);
  return {
    ConditionExpression: condition,
    ...(names !== null ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** The names map of a condition `stateCondition` wrote (a handful of distinct texts), or null when it needs none. */
const namesByCondition = new Map<string, Record<string, string> | null>();

function namesOf(condition: string): Record<string, string> | null {
  let names = namesByCondition.get(condition);
  if (names === undefined) {
    const found: Record<string, string> = {};
    for (const [placeholder, name] of Object.entries(RECORD_NAMES)) {
      if (condition.includes(placeholder)) found[placeholder] = name;
    }
    names = Object.keys(found).length > 0 ? found : null;
    namesByCondition.set(condition, names);
  }
  return names === null ? null : { ...names };
}

async function writeOne(
  context: StoreContext,
  scope: string,
  p: Prepared,
  now: number,
): Promise<StoredRecord | null> {
  const table = context.tables.records;
  const key = { pk: recordPk(scope), sk: recordSk(p.op.key) };
  let state = initialState(context, scope, p.op);
  if (p.head !== null && p.op.ifVersion === undefined) {
    const bumped = await bumpLive(context, key, p.head, now);
    if (bumped !== "expired") {
      await dropReplaced(context, scope, p, bumped ?? undefined);
      return finish(context, scope, p, stateOf(bumped, now));
    }
    state = null;
  }
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    let old: Record<string, unknown> | undefined;
    try {
      if (p.head === null) {
        const output = await context.writer.delete({
          TableName: table,
          Key: key,
          ...(p.op.ifVersion !== undefined ? conditionParts(state, now, attempt === 1) : {}),
          ReturnValues: "ALL_OLD",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        });
        old = output.Attributes;
      } else {
        // A first try at a new key conditions on there being no item at all: it replaces nothing.
        const replaces = !(attempt === 1 && state === null);
        const output = await context.writer.put({
          TableName: table,
          Item: { ...p.head, version: (state?.version ?? 0) + 1 },
          ...conditionParts(state, now, attempt === 1),
          ...(replaces ? { ReturnValues: "ALL_OLD" as const } : {}),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        });
        old = output.Attributes;
      }
    } catch (error) {
      if (!isConditionFailure(error)) throw toStoreError(error, "records.write");
      const actual = stateOf(await failedItem(context, conditionFailureItem(error), key), now);
      const conflict = conflictWith(scope, p.op, actual);
      if (conflict !== null) throw conflict;
      state = actual;
      continue;
    }
    if ((old as RecordItem | undefined)?.vid !== undefined) {
      await dropReplaced(context, scope, p, old as RecordItem | undefined);
    }
    return finish(context, scope, p, state);
  }
  throw new UnavailableError(`records.write: ${JSON.stringify(p.op.key)} kept changing during the write`);
}

/** Head attributes an update may have to remove: the ones a put may leave out. */
const OPTIONAL_ATTRIBUTES = ["v", "vc", "vid", "vn", "expiresAt", "ttl", "bid"] as const;

/**
 * An unconditional put as one UpdateItem that replaces every attribute and adds 1 to the stored version
 * (`if_not_exists`), so concurrent puts each add exactly 1 in one round trip. Condition: no item, or a live
 * one; returns the replaced item (ALL_OLD, null when there was none), or "expired" when an expired record is
 * in the way (its version must restart at 1: the caller then replaces it conditionally).
 */
async function bumpLive(
  context: StoreContext,
  key: { pk: string; sk: string },
  head: Omit<RecordItem, "version">,
  now: number,
): Promise<RecordItem | null | "expired"> {
  const names: Record<string, string> = { "#sk": "sk", "#version": "version", "#expiresAt": "expiresAt" };
  const values: Record<string, unknown> = { ":now": now, ":zero": 0, ":one": 1 };
  const sets = ["#version = if_not_exists(#version, :zero) + :one"];
  const removes: string[] = [];
  const given = head as unknown as Record<string, unknown>;
  for (const name of ["t", "updatedAt", ...OPTIONAL_ATTRIBUTES]) {
    const placeholder = `#a_${name}`;
    names[placeholder] = name;
    if (given[name] === undefined) removes.push(placeholder);
    else {
      sets.push(`${placeholder} = :a_${name}`);
      values[`:a_${name}`] = given[name];
    }
  }
  try {
    const output = await context.writer.update({
      TableName: context.tables.records,
      Key: key,
      UpdateExpression: `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
      ConditionExpression:
        "attribute_not_exists(#sk) OR attribute_not_exists(#expiresAt) OR #expiresAt > :now",
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: "ALL_OLD",
    });
    return (output.Attributes as RecordItem | undefined) ?? null;
  } catch (error) {
    if (isConditionFailure(error)) return "expired";
    throw toStoreError(error, "records.write");
  }
}

async function writeTransaction(
  context: StoreContext,
  scope: string,
  prepared: Prepared[],
  now: number,
): Promise<Array<StoredRecord | null>> {
  const table = context.tables.records;
  const pk = recordPk(scope);
  const states = prepared.map((p) => initialState(context, scope, p.op));
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const TransactItems = prepared.map((p, i) => {
      const state = states[i] ?? null;
      const parts = {
        TableName: table,
        ...conditionParts(state, now, attempt === 1),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
      };
      return p.head === null
        ? { Delete: { ...parts, Key: { pk, sk: recordSk(p.op.key) } } }
        : { Put: { ...parts, Item: { ...p.head, version: (state?.version ?? 0) + 1 } } };
    });
    try {
      await context.writer.transactWrite({ TransactItems });
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === null) throw toStoreError(error, "records.write");
      const failures = reasons.flatMap((reason, i) => (reason.code === "ConditionalCheckFailed" ? [i] : []));
      if (failures.length === 0) {
        if (!reasons.some((r) => r.code === "TransactionConflict"))
          throw toStoreError(error, "records.write");
        await sleep(backoffDelayMs(Math.min(attempt, 6)));
        continue;
      }
      for (const i of failures) {
        const p = prepared[i] as Prepared;
        const old = await failedItem(context, reasons[i]?.item ?? null, { pk, sk: recordSk(p.op.key) });
        const actual = stateOf(old, now);
        const conflict = conflictWith(scope, p.op, actual);
        if (conflict !== null) throw conflict;
        states[i] = actual;
      }
      // Racing other writers of these keys: spread the retries out.
      if (attempt > 1) await sleep(backoffDelayMs(Math.min(attempt, 6)));
      continue;
    }
    await Promise.all(prepared.map((p, i) => dropReplacedState(context, scope, p, states[i] ?? null)));
    return prepared.map((p, i) => finish(context, scope, p, states[i] ?? null));
  }
  throw new UnavailableError("records.write: the records kept changing during the transaction");
}

/** The ALL_OLD item of a failed condition, or (a writer that does not return it) a strong read of it now. */
async function failedItem(
  context: StoreContext,
  returned: Record<string, unknown> | null,
  key: { pk: string; sk: string },
): Promise<RecordItem | null> {
  const item = returned ?? (await strongGet(context, context.tables.records, key, "records.write"));
  return item as RecordItem | null;
}

function finish(context: StoreContext, scope: string, p: Prepared, state: HeadState): StoredRecord | null {
  if (p.head === null || p.result === null) {
    context.headStates.set(scope, p.op.key, null);
    return null;
  }
  const version = (state?.version ?? 0) + 1;
  const vid = p.head.vid ?? null;
  context.headStates.set(scope, p.op.key, { version, vid, ...(vid !== null ? { vn: p.chunks.length } : {}) });
  return { ...p.result, version };
}

/** Deletes the chunks of the head a write replaced (known from ALL_OLD). */
async function dropReplaced(context: StoreContext, scope: string, p: Prepared, old: RecordItem | undefined) {
  if (old?.vid === undefined || old.vid === p.head?.vid) return;
  await deleteChunksQuietly(
    context,
    context.tables.records,
    recordPk(scope),
    recordChunkBase(p.op.key, old.vid),
    old.vn ?? 0,
  );
}

/** Deletes the chunks of the head state a transaction's condition proved it replaced. */
async function dropReplacedState(context: StoreContext, scope: string, p: Prepared, state: HeadState) {
  if (state?.vid === null || state?.vid === undefined) return;
  // A state known only from `ifVersion` has no count: delete up to the most an 8 MiB value can have.
  const count = state.vn ?? MAX_CHUNKS;
  await deleteChunksQuietly(
    context,
    context.tables.records,
    recordPk(scope),
    recordChunkBase(p.op.key, state.vid),
    count,
  );
}

/** Chunks of an 8 MiB value that does not compress: ⌈8 MiB / 384 KB⌉. */
const MAX_CHUNKS = Math.ceil((8 * 1024 * 1024) / CHUNK_BYTES);

/** Deletes the chunks this write wrote for an op whose head was not written. */
async function dropChunks(context: StoreContext, p: Prepared): Promise<void> {
  const vid = p.head?.vid;
  if (vid === undefined || p.head === null) return;
  await deleteChunksQuietly(
    context,
    context.tables.records,
    p.head.pk,
    recordChunkBase(p.op.key, vid),
    p.chunks.length,
  );
}
