import { createRequire } from "node:module";
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient, _Record as StreamRecord } from "@aws-sdk/client-dynamodb-streams";

type Image = Record<string, AttributeValue>;

/** One region the replicator copies from and to. */
export interface ReplicaRegion {
  name: string;
  clientConfig: DynamoDBClientConfig;
}

export interface ReplicatorOptions {
  regions: ReplicaRegion[];
  /** Table names replicated (each must exist in every region with a NEW_AND_OLD_IMAGES stream). */
  tables: string[];
  /** Pause between background passes; default 50 ms. */
  pollIntervalMs?: number;
  /** The background loop ends by itself after this long; default 10 minutes. */
  maxRunMs?: number;
  /**
   * Numeric attributes holding a write's time (ms), tried in order, for last-writer-wins; an item with none
   * (and a delete) is stamped with the time the replicator first saw it. Default: lastActiveAt, updatedAt, cachedAt.
   */
  timestampAttributes?: string[];
  /** Start with the background loop paused (passes then run only inside caughtUp). Default false. */
  paused?: boolean;
}

/** Counters of what the replicator did. */
export interface ReplicatorStats {
  /** Local writes seen in the streams (its own replicated writes are not counted). */
  observed: number;
  /** Writes it applied to another region. */
  applied: number;
  /** Incoming writes dropped because the target held a later write (last writer wins). */
  superseded: number;
  /** Stream records recognized as its own replicated writes and not sent back. */
  echoesSkipped: number;
}

export interface Replicator {
  /**
   * Runs passes until one finds every region reachable, no new stream record and nothing left to apply; throws
   * after `timeoutMs` (default 120 s). Works while paused.
   */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops the background loop (simulates replication lag); caughtUp still runs passes on demand. */
  pause(): void;
  resume(): void;
  stats(): ReplicatorStats;
  /** Ends the loop, waits for a pass in flight, destroys its clients. Idempotent. */
  stop(): Promise<void>;
}

interface Known {
  image: Image | null;
  ts: number;
  origin: string;
}

interface Pending {
  from: string;
  to: string;
  table: string;
  key: string;
  keyImage: Image;
  image: Image | null;
  ts: number;
}

interface ShardState {
  iterator: string | null;
  lastSequence: string | null;
  finished: boolean;
}

interface RegionRuntime {
  name: string;
  db: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  streamArns: Map<string, string>;
  shards: Map<string, ShardState>;
  known: Map<string, Known>;
  echoes: Map<string, string[]>;
  reachable: boolean;
}

const APPLY_ATTEMPTS = 5;

/**
 * `@aws-sdk/client-dynamodb-streams` is an optional peer: it is loaded when a replicator starts, so importing
 * `@agent-state/dynamodb/testing` for anything else does not need it installed.
 */
function loadStreamsClient(): typeof import("@aws-sdk/client-dynamodb-streams") {
  return createRequire(import.meta.url)("@aws-sdk/client-dynamodb-streams");
}

/**
 * A stand-in for Global Tables (default mode) between DynamoDB Local processes, for tests only: it reads each
 * region's DynamoDB Streams (DescribeStream, GetShardIterator, GetRecords) and applies every local write to
 * the other regions, last writer wins per item by a timestamp attribute (ties: the larger region name).
 * Its own replicated writes are remembered and skipped when they come back in the target's stream, so
 * nothing echoes. An incoming write is applied conditionally on the target still holding the image the
 * replicator last saw there; if a local write slipped in, the target's stream is read first and the
 * comparison made again, so a newer local write is never overwritten by an older replicated one.
 * A region that does not answer (its process stopped) is skipped and caught up once it answers again.
 */
export function startReplicator(options: ReplicatorOptions): Replicator {
  const { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } =
    loadStreamsClient();
  const timestampAttributes = options.timestampAttributes ?? ["lastActiveAt", "updatedAt", "cachedAt"];
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const deadline = Date.now() + (options.maxRunMs ?? 600_000);
  const regions: RegionRuntime[] = options.regions.map((region) => {
    const config: DynamoDBClientConfig = {
      ...region.clientConfig,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
    };
    return {
      name: region.name,
      db: new DynamoDBClient(config),
      streams: new DynamoDBStreamsClient(config),
      streamArns: new Map(),
      shards: new Map(),
      known: new Map(),
      echoes: new Map(),
      reachable: true,
    };
  });
  const byName = new Map(regions.map((r) => [r.name, r]));
  let pending: Pending[] = [];
  const stats: ReplicatorStats = { observed: 0, applied: 0, superseded: 0, echoesSkipped: 0 };
  let paused = options.paused ?? false;
  let stopped = false;
  let lock: Promise<unknown> = Promise.resolve();

  /** Runs one pass after any pass in flight; resolves to true when it found nothing to do. */
  function pass(): Promise<boolean> {
    const run = lock.then(async () => {
      let records = 0;
      for (const region of regions) records += await drainSafely(region);
      const before = pending.length;
      await applyPending();
      const everyoneAnswers = regions.every((r) => r.reachable);
      return everyoneAnswers && records === 0 && before === 0 && pending.length === 0;
    });
    lock = run.catch(() => undefined);
    return run;
  }

  async function drainSafely(region: RegionRuntime): Promise<number> {
    try {
      const count = await drain(region);
      region.reachable = true;
      return count;
    } catch {
      region.reachable = false;
      // Iterators may be gone with the process: continue from the last sequence number read.
      for (const shard of region.shards.values()) shard.iterator = null;
      return 0;
    }
  }

  async function streamArn(region: RegionRuntime, table: string): Promise<string> {
    const cached = region.streamArns.get(table);
    if (cached !== undefined) return cached;
    const output = await region.db.send(new DescribeTableCommand({ TableName: table }));
    const arn = output.Table?.LatestStreamArn;
    if (arn === undefined) throw new Error(`table ${table} in ${region.name} has no stream`);
    region.streamArns.set(table, arn);
    return arn;
  }

  /** Reads every new stream record of the region; returns how many there were. */
  async function drain(region: RegionRuntime): Promise<number> {
    let count = 0;
    for (const table of options.tables) {
      const arn = await streamArn(region, table);
      const description = await region.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
      for (const shard of description.StreamDescription?.Shards ?? []) {
        const shardId = shard.ShardId;
        if (shardId === undefined) continue;
        const stateKey = `${table}\u0000${shardId}`;
        let state = region.shards.get(stateKey);
        if (state === undefined) {
          state = { iterator: null, lastSequence: null, finished: false };
          region.shards.set(stateKey, state);
        }
        if (state.finished) continue;
        for (;;) {
          if (state.iterator === null) {
            const output = await region.streams.send(
              new GetShardIteratorCommand({
                StreamArn: arn,
                ShardId: shardId,
                ...(state.lastSequence === null
                  ? { ShardIteratorType: "TRIM_HORIZON" }
                  : { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: state.lastSequence }),
              }),
            );
            state.iterator = output.ShardIterator ?? null;
            if (state.iterator === null) {
              state.finished = true;
              break;
            }
          }
          const output = await region.streams.send(new GetRecordsCommand({ ShardIterator: state.iterator }));
          const batch = output.Records ?? [];
          for (const record of batch) {
            observe(region, table, record);
            state.lastSequence = record.dynamodb?.SequenceNumber ?? state.lastSequence;
          }
          count += batch.length;
          state.iterator = output.NextShardIterator ?? null;
          if (state.iterator === null) {
            state.finished = true;
            break;
          }
          if (batch.length === 0) break;
        }
      }
    }
    return count;
  }

  function observe(region: RegionRuntime, table: string, record: StreamRecord): void {
    const keyImage = record.dynamodb?.Keys as Image | undefined;
    if (keyImage === undefined) return;
    const key = itemKey(table, keyImage);
    const image =
      record.eventName === "REMOVE" ? null : ((record.dynamodb?.NewImage as Image | undefined) ?? null);
    const print = fingerprint(image);
    const expected = region.echoes.get(key);
    const echoAt = expected?.indexOf(print) ?? -1;
    if (expected !== undefined && echoAt >= 0) {
      expected.splice(0, echoAt + 1);
      stats.echoesSkipped++;
      return;
    }
    stats.observed++;
    const previous = region.known.get(key);
    // A local write supersedes whatever the region held, whatever its timestamp says.
    const ts = Math.max(
      timestampOf(image) ?? Date.now(),
      previous === undefined ? -Infinity : previous.ts + 0.001,
    );
    region.known.set(key, { image, ts, origin: region.name });
    for (const other of regions) {
      if (other === region) continue;
      pending.push({ from: region.name, to: other.name, table, key, keyImage, image, ts });
    }
  }

  function timestampOf(image: Image | null): number | null {
    if (image === null) return null;
    for (const name of timestampAttributes) {
      const value = image[name]?.N;
      if (value !== undefined && Number.isFinite(Number(value))) return Number(value);
    }
    return null;
  }

  async function applyPending(): Promise<void> {
    const left: Pending[] = [];
    for (const entry of pending) {
      const target = byName.get(entry.to);
      if (target === undefined) continue;
      if (!target.reachable || !(await apply(target, entry))) left.push(entry);
    }
    pending = left;
  }

  /** Applies one incoming write to its target; false when it has to wait (target unreachable or busy). */
  async function apply(target: RegionRuntime, entry: Pending): Promise<boolean> {
    for (let attempt = 1; attempt <= APPLY_ATTEMPTS; attempt++) {
      const current = target.known.get(entry.key);
      if (current !== undefined && wins(current, entry)) {
        stats.superseded++;
        return true;
      }
      if (fingerprint(current?.image ?? null) === fingerprint(entry.image)) {
        target.known.set(entry.key, { image: entry.image, ts: entry.ts, origin: entry.from });
        return true;
      }
      const condition = unchanged(current?.image ?? null, entry.keyImage);
      try {
        if (entry.image === null) {
          await target.db.send(
            new DeleteItemCommand({ TableName: entry.table, Key: entry.keyImage, ...condition }),
          );
        } else {
          await target.db.send(
            new PutItemCommand({ TableName: entry.table, Item: entry.image, ...condition }),
          );
        }
      } catch (error) {
        if ((error as { name?: string }).name !== "ConditionalCheckFailedException") {
          target.reachable = false;
          return false;
        }
        // A local write we have not read yet: read the target's stream, then compare again.
        await drainSafely(target);
        continue;
      }
      target.known.set(entry.key, { image: entry.image, ts: entry.ts, origin: entry.from });
      const expected = target.echoes.get(entry.key) ?? [];
      expected.push(fingerprint(entry.image));
      target.echoes.set(entry.key, expected);
      stats.applied++;
      return true;
    }
    return false;
  }

  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      if (!paused) await pass().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
  })();

  return {
    async caughtUp(timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if (stopped) throw new Error("replicator stopped");
        if (await pass()) return;
        if (Date.now() > until) {
          const down = regions.filter((r) => !r.reachable).map((r) => r.name);
          throw new Error(
            `replication not caught up within ${timeoutMs} ms: ${pending.length} writes pending` +
              (down.length > 0 ? `, unreachable: ${down.join(", ")}` : ""),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    stats: () => ({ ...stats }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop;
      await lock;
      for (const region of regions) {
        region.db.destroy();
        region.streams.destroy();
      }
    },
  };
}

/** The existing write wins over the incoming one: a later timestamp, or the same one from a larger region name. */
function wins(current: Known, incoming: Pending): boolean {
  return current.ts > incoming.ts || (current.ts === incoming.ts && current.origin > incoming.from);
}

function itemKey(table: string, keyImage: Image): string {
  return `${table}\u0000${fingerprint(keyImage)}`;
}

/** A canonical text of an image (attribute order does not matter). */
function fingerprint(image: Image | null): string {
  if (image === null) return "null";
  return JSON.stringify(sortDeep(image));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortDeep((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A condition that holds only while the item is exactly `image` (absent when null). */
function unchanged(
  image: Image | null,
  keyImage: Image,
): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Image;
} {
  if (image === null) {
    return {
      ConditionExpression: "attribute_not_exists(#k)",
      ExpressionAttributeNames: { "#k": Object.keys(keyImage)[0] ?? "pk" },
    };
  }
  const names: Record<string, string> = {};
  const values: Image = {};
  const parts = Object.entries(image).map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:v${i}`] = value;
    return `#a${i} = :v${i}`;
  });
  return {
    ConditionExpression: parts.join(" AND "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
