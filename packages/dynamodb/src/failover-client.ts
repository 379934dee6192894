import type { DynamoClientLike, DynamoDocumentMethods } from "./client.js";
import { isRegionFailure, neverConnected } from "./errors.js";
import type { RegionEvent, RegionHealth } from "./regions.js";
import { CHUNK_SK_PREFIX, META_SK } from "./schema.js";

/** Set on an SDK error when some attempt of its request may have reached DynamoDB (see trackAttempts). */
const MAYBE_SENT = Symbol.for("agent-state.dynamodb.maybeSent");
const TRACKED = new WeakSet<object>();

type Stack = {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: object,
    ) => (args: unknown) => Promise<unknown>,
    options: { step: "deserialize"; name: string; override: boolean },
  ): void;
};

/**
 * Adds a per-attempt middleware (below the SDK's retry loop) to a client that has a middleware stack: it
 * remembers whether any attempt of a request may have reached DynamoDB and marks the request's final error
 * with that. A write whose final error is "connection refused" but whose first attempt timed out may have been
 * applied, so it must not be re-sent to another region. Clients without a stack (method-style ones) are left
 * alone; their failed writes are re-sent only when the error says no connection was made on a single attempt.
 */
export function trackAttempts(client: DynamoClientLike | object): void {
  const stack = (client as { middlewareStack?: Stack }).middlewareStack;
  if (stack === undefined || TRACKED.has(stack)) return;
  TRACKED.add(stack);
  const reached = new WeakMap<object, boolean>();
  stack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const maybe = (reached.get(context) ?? false) || !neverConnected(error);
        reached.set(context, maybe);
        if (typeof error === "object" && error !== null) {
          Object.defineProperty(error, MAYBE_SENT, { value: maybe, configurable: true });
        }
        throw error;
      }
    },
    { step: "deserialize", name: "agentStateAttemptTracker", override: true },
  );
}

/** True when the failed request certainly never reached DynamoDB (so it can be sent to another region). */
export function certainlyNotSent(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const marked = (error as { [MAYBE_SENT]?: boolean })[MAYBE_SENT];
  if (marked !== undefined) return !marked;
  const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
  return attempts <= 1 && neverConnected(error);
}

type Method = keyof DynamoDocumentMethods;

/**
 * How long after chunk items of a large value were written in one region a write to the same partition is
 * kept out of every other region while that region is down: the head item that commits those chunks must
 * land where the chunks are, or readers elsewhere would find a head without its chunks until replication.
 */
const CHUNK_PIN_MS = 5_000;
const WRITES = new Set<Method>(["put", "update", "delete", "batchWrite", "transactWrite"]);

/**
 * A document client that sends every call to the region `health` says is current. A call that fails at the
 * connection level marks its region down; reads then go to the next region at once, and so do writes that
 * certainly never reached the failed region. A write whose outcome is unknown (a timeout, a reset, a 5xx) is
 * NOT re-sent (it could apply twice): its error is thrown and the store maps it to UNAVAILABLE. Other errors
 * (failed conditions, throttling, validation) are the region's answer and are thrown unchanged.
 *
 * Before a write is sent, its `lastActiveRegion` value (a Put's item attribute, an update's `:region` value
 * for `#region = lastActiveRegion`) is set to the region that receives it, in place, so the item and what
 * the store returns both name the serving region.
 */
export function createFailoverClient(
  names: readonly string[],
  clients: readonly DynamoDocumentMethods[],
  health: RegionHealth,
  emit: (event: RegionEvent) => void,
): DynamoDocumentMethods {
  /** Partition → where and when chunk items were last written (see CHUNK_PIN_MS). */
  const chunkRegions = new Map<string, { index: number; at: number }>();

  /**
   * True when the write must not go to region `index`: chunk items of the same partition were written moments
   * ago in another region that is now down (the pin is dropped: the caller's retry starts the write afresh).
   */
  function keptElsewhere(input: unknown, index: number): boolean {
    const now = performance.now();
    for (const [pk, pin] of chunkRegions) if (now - pin.at > CHUNK_PIN_MS) chunkRegions.delete(pk);
    let kept = false;
    for (const key of writtenKeys(input)) {
      const pin = chunkRegions.get(key.pk);
      if (pin !== undefined && pin.index !== index && !health.isUp(pin.index)) {
        chunkRegions.delete(key.pk);
        kept = true;
      }
    }
    return kept;
  }

  function rememberChunks(input: unknown, index: number): void {
    for (const key of writtenKeys(input)) {
      if (key.sk.startsWith(CHUNK_SK_PREFIX)) chunkRegions.set(key.pk, { index, at: performance.now() });
    }
  }

  async function route<I, O>(method: Method, input: I): Promise<O> {
    let lastError: unknown;
    const write = WRITES.has(method);
    for (const index of health.candidates()) {
      const client = clients[index] as DynamoDocumentMethods;
      const region = names[index] ?? "";
      if (write && keptElsewhere(input, index)) {
        lastError = new RegionPinnedError(region);
        break;
      }
      if (write) stampRegion(method, input, region);
      try {
        const output = await (client[method] as (input: I) => Promise<O>).call(client, input);
        health.answered(index);
        if (write) rememberChunks(input, index);
        return output;
      } catch (error) {
        if (!isRegionFailure(error)) throw error;
        health.failed(index, "request-failed", error);
        if (write && !certainlyNotSent(error)) {
          emit({ type: "write-outcome-unknown", region, operation: method, error, at: Date.now() });
          throw error;
        }
        lastError = error;
      }
    }
    throw lastError;
  }
  const methods: Method[] = [
    ...(clients.every((c) => c.transactGet !== undefined) ? (["transactGet"] as const) : []),
    "get",
    "query",
    "batchGet",
    "put",
    "update",
    "delete",
    "batchWrite",
    "transactWrite",
    "scan",
  ];
  return Object.fromEntries(
    methods.map((method) => [method, (input: unknown) => route(method, input)]),
  ) as unknown as DynamoDocumentMethods;
}

type Writable = Record<string, unknown>;

/** Writes the serving region into a write's `lastActiveRegion` (meta items only), in place. */
function stampRegion(method: Method, input: unknown, region: string): void {
  const request = input as Writable;
  if (method === "put") stampPut(request, region);
  else if (method === "update") stampUpdate(request, region);
  else if (method === "transactWrite") {
    for (const entry of (request.TransactItems as Writable[] | undefined) ?? []) {
      if (entry.Put !== undefined) stampPut(entry.Put as Writable, region);
      if (entry.Update !== undefined) stampUpdate(entry.Update as Writable, region);
    }
  }
}

function stampPut(put: Writable, region: string): void {
  const item = put.Item as Writable | undefined;
  if (item !== undefined && item.sk === META_SK && "lastActiveRegion" in item) item.lastActiveRegion = region;
}

function stampUpdate(update: Writable, region: string): void {
  const names = update.ExpressionAttributeNames as Record<string, string> | undefined;
  const values = update.ExpressionAttributeValues as Writable | undefined;
  if (names?.["#region"] === "lastActiveRegion" && values !== undefined && ":region" in values) {
    values[":region"] = region;
  }
}

/**
 * A write kept in a down region (chunks of its large value were just written there); mapped to UNAVAILABLE by
 * the store. Retrying the whole operation later writes chunks and head in the region then serving.
 */
export class RegionPinnedError extends Error {
  constructor(region: string) {
    super(
      `write not sent to ${region}: chunks of its large value were just written in a region that is now down`,
    );
    this.name = "RegionPinnedError";
  }
}

/** The (pk, sk) of every item a write request touches. */
function writtenKeys(input: unknown): Array<{ pk: string; sk: string }> {
  const request = input as Writable;
  const keys: Array<{ pk: string; sk: string }> = [];
  const add = (item: unknown) => {
    const k = item as { pk?: unknown; sk?: unknown } | undefined;
    if (typeof k?.pk === "string" && typeof k.sk === "string") keys.push({ pk: k.pk, sk: k.sk });
  };
  add((request.Item as unknown) ?? request.Key);
  for (const entry of (request.TransactItems as Writable[] | undefined) ?? []) {
    for (const part of Object.values(entry) as Writable[]) add(part.Item ?? part.Key);
  }
  const batches = (request.RequestItems as Record<string, Writable[]> | undefined) ?? {};
  for (const requests of Object.values(batches)) {
    for (const r of requests) {
      add((r.PutRequest as Writable | undefined)?.Item ?? (r.DeleteRequest as Writable | undefined)?.Key);
    }
  }
  return keys;
}
