import {
  BoundedMap,
  type Clock,
  type CommonStoreOptions,
  type PreferenceStore,
  type RecordStore,
  resolveCommonOptions,
  type SessionStore,
  STORE_OBSERVATION,
  type StateStore,
  StoreEventHub,
  type StoreObservation,
  type StoreStats,
  type ToolCache,
  validateTtlSeconds,
} from "@agent-state/core";
import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import { meteredClient, meteredWriter } from "./capacity.js";
import {
  createDynamoClient,
  type DynamoClientLike,
  type DynamoReader,
  type DynamoWriter,
  toDocumentMethods,
} from "./client.js";
import type { StoreContext } from "./context.js";
import { toStoreError } from "./errors.js";
import { SortableIdSource } from "./ids.js";
import { type MultiRegionOptions, type RegionRouting, startRegionRouting } from "./multi-region.js";
import { DynamoPreferences } from "./preferences.js";
import { HeadStateCache } from "./record-items.js";
import { DynamoRecords } from "./records.js";
import { META_SK, type ResolvedTableNames, resolveTableNames, type TableNames } from "./schema.js";
import { DynamoSessions } from "./sessions.js";
import { DynamoToolCache } from "./tool-cache.js";

/** Default `ttl` of message items: 30 days after their append (see README, "Expiry"). */
export const DEFAULT_MESSAGE_TTL_SECONDS = 30 * 24 * 3600;

interface DynamoStoreBaseOptions extends CommonStoreOptions {
  /** Table names; defaults `agent-sessions`, `agent-tool-cache`, `agent-user-preferences`. */
  tables?: Partial<TableNames>;
  /** This deployment's region, written as `lastActiveRegion` on every session write. Default: none (null). */
  region?: string;
  /**
   * DynamoDB `ttl` of message items, from their append (default 30 days). A session that stays active that
   * long has its message items rewritten with a new ttl once (in the background), so it never loses messages.
   */
  messageTtlSeconds?: number;
}

/**
 * Options: a client you own (the store never closes it), a config the store builds (and destroys on close),
 * or `regions` (first = home; see README, "Multi-region failover").
 */
export type DynamoStateStoreOptions = DynamoStoreBaseOptions &
  (
    | { client: DynamoClientLike; clientConfig?: never }
    | { clientConfig: DynamoDBClientConfig; client?: never }
    | (MultiRegionOptions & { client?: never; clientConfig?: never })
  );

/** The clients of a view (`withClients`); what is not given stays on the store's own client. */
export interface DynamoViewClients {
  /** Eventually consistent reads go here, without `ConsistentRead` (e.g. a DAX client). */
  reader?: DynamoReader;
  /**
   * Every write goes here (e.g. a DAX client, so its item cache stays fresh): a client, or a function given
   * the store's own client (as a writer) that returns one, for a writer that falls back to it.
   */
  writer?: DynamoWriter | ((own: DynamoWriter) => DynamoWriter);
}

/**
 * `StateStore` on DynamoDB (see README for the table layout, costs and consistency). Build one per process
 * and share it; `withClients({ reader, writer })` gives a view whose eventually consistent reads and whose
 * writes go to other clients (e.g. DAX).
 */
export class DynamoStateStore implements StateStore {
  readonly sessions: SessionStore;
  readonly toolCache: ToolCache;
  readonly preferences: PreferenceStore;
  readonly records: RecordStore;
  private readonly context: StoreContext;
  /** The low-level client the store created (destroyed by close()), or null when the caller owns the client. */
  private owned: DynamoDBClient | null;
  /** The region routing of a store built with `regions` (stopped and its clients destroyed by close()). */
  private routing: RegionRouting | null = null;
  /** Where `currentRegion` comes from: this store's routing, or (in a view) its store's. */
  private regionSource: { currentRegion: string | null } | null = null;

  /** @param view internal: the shared context of a `withClients` view (then `options` is ignored). */
  constructor(options: DynamoStateStoreOptions, view?: StoreContext) {
    if (view !== undefined) {
      this.context = view;
      this.owned = null;
    } else {
      const common = resolveCommonOptions(options);
      const events = new StoreEventHub();
      let main: ReturnType<typeof toDocumentMethods>;
      if ("regions" in options && options.regions !== undefined) {
        const listener = options.onRegionEvent;
        const onRegionEvent: typeof listener = (event) => {
          listener?.(event);
          if (event.type === "switched" && event.kind === "failover")
            events.emit({ type: "failover", from: event.from, to: event.to });
        };
        this.routing = startRegionRouting({ ...options, onRegionEvent }, resolveTableNames(options.tables));
        main = this.routing.client;
        this.regionSource = this.routing.health;
        this.owned = null;
      } else if (options.client !== undefined) {
        main = toDocumentMethods(options.client);
        this.owned = null;
      } else {
        const client = createDynamoClient(options.clientConfig as DynamoDBClientConfig);
        main = toDocumentMethods(client);
        this.owned = client;
      }
      const metered = meteredClient(main, events);
      this.context = {
        main: metered,
        unmetered: main,
        events,
        writer: metered,
        reader: metered,
        consistentReads: true,
        tables: resolveTableNames(options.tables),
        clock: common.clock,
        sessionTtlSeconds: common.ttlSeconds.session,
        preferencesTtlSeconds: common.ttlSeconds.preferences,
        messageTtlSeconds:
          options.messageTtlSeconds === undefined
            ? DEFAULT_MESSAGE_TTL_SECONDS
            : validateTtlSeconds("messageTtlSeconds", options.messageTtlSeconds),
        region: this.routing?.home ?? options.region ?? null,
        ids: new SortableIdSource(common.clock),
        refreshes: new Map(),
        headStates: new HeadStateCache(),
        incarnations: new BoundedMap(10_000),
      };
    }
    this.sessions = new DynamoSessions(this.context);
    this.toolCache = new DynamoToolCache(this.context);
    this.preferences = new DynamoPreferences(this.context);
    this.records = new DynamoRecords(this.context);
  }

  /** The clock this store judges expiry by (decorators such as withDax judge their caches by it too). */
  get clock(): Clock {
    return this.context.clock;
  }

  /**
   * How telemetry sees this store: `aws.dynamodb`, its table names, and the capacity each request consumed
   * (asked for with `ReturnConsumedCapacity` only while someone subscribes).
   */
  get [STORE_OBSERVATION](): StoreObservation {
    const { tables, events } = this.context;
    return {
      system: "aws.dynamodb",
      collections: { ...tables },
      emitsEvents: true,
      subscribe: (listener) => events.subscribe(listener),
    };
  }

  /** The region operations go to now: `regions` routing's current region, else the `region` option (or null). */
  get currentRegion(): string | null {
    return this.regionSource === null ? this.context.region : this.regionSource.currentRegion;
  }

  /**
   * Each region's health, in the configured order (first = home), for a store built with `regions`; null for a
   * single-region store. A region is down from a failed request or probe until its probes succeed again.
   */
  regionStatus(): Array<{ region: string; up: boolean }> | null {
    return this.routing?.health.status() ?? null;
  }

  /** The table names this store uses. */
  get tables(): ResolvedTableNames {
    return { ...this.context.tables };
  }

  /**
   * A view sharing this store's tables, clock, options and write client, whose eventually consistent reads
   * (sessions.get with or without recentMessages, messages, listByUser, the tool cache's value read,
   * preferences.get) go through `reader` without `ConsistentRead`. Writes, conditional checks and reads that
   * must be strong stay on the main client. Closing the view closes nothing.
   */
  withReader(reader: DynamoReader): DynamoStateStore {
    return this.withClients({ reader });
  }

  /**
   * A view sharing this store's tables, clock, options and own client, whose eventually consistent reads go
   * through `reader` (as in `withReader`) and whose writes go through `writer`. Conditional checks, their
   * failures (`ALL_OLD` items, or a strong read of the item when the writer does not return it) and error
   * mapping behave the same whichever client writes; strongly consistent reads, the key queries before
   * deletes and `stats` stay on the store's own client. Closing the view closes nothing.
   */
  withClients(clients: DynamoViewClients): DynamoStateStore {
    const { main, unmetered, events } = this.context;
    // A given writer is reported itself; its fallback to our client is the unreported one, so nothing counts twice.
    const writer =
      clients.writer === undefined
        ? main
        : meteredWriter(
            typeof clients.writer === "function" ? clients.writer(unmetered) : clients.writer,
            events,
          );
    const view = new DynamoStateStore(
      { client: main },
      {
        ...this.context,
        writer,
        ...(clients.reader !== undefined ? { reader: clients.reader, consistentReads: false } : {}),
      },
    );
    view.regionSource = this.regionSource;
    return view;
  }

  /**
   * Exact counts of live sessions and cache entries, by a paginated Scan of the sessions and tool-cache
   * tables (Select COUNT; costs a read of both tables: for dashboards, not hot paths).
   */
  async stats(): Promise<StoreStats> {
    const { context } = this;
    const now = context.clock();
    const [activeSessions, cacheEntries] = await Promise.all([
      this.count({
        TableName: context.tables.sessions,
        FilterExpression: "#sk = :meta AND #expiresAt > :now",
        ExpressionAttributeNames: { "#sk": "sk", "#expiresAt": "expiresAt" },
        ExpressionAttributeValues: { ":meta": META_SK, ":now": now },
      }),
      this.count({
        TableName: context.tables.toolCache,
        // Value items (text or packed) carry an entry id and no hit count; counters have both, chunks neither.
        FilterExpression:
          "attribute_exists(#entryId) AND attribute_not_exists(#hitCount) AND #expiresAt > :now",
        ExpressionAttributeNames: {
          "#entryId": "entryId",
          "#hitCount": "hitCount",
          "#expiresAt": "expiresAt",
        },
        ExpressionAttributeValues: { ":now": now },
      }),
    ]);
    return { activeSessions, cacheEntries, approximate: false };
  }

  /** Destroys the client if the store created it. Idempotent; a view (`withReader`, `withClients`) closes nothing. */
  async close(): Promise<void> {
    await Promise.all(this.context.refreshes.values());
    const routing = this.routing;
    this.routing = null;
    await routing?.close();
    const owned = this.owned;
    this.owned = null;
    owned?.destroy();
  }

  private async count(input: ScanCommandInput): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      try {
        const output = await this.context.main.scan({
          ...input,
          Select: "COUNT",
          ConsistentRead: true,
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        });
        total += output.Count ?? 0;
        startKey = output.LastEvaluatedKey;
      } catch (error) {
        throw toStoreError(error, "stats");
      }
    } while (startKey !== undefined);
    return total;
  }
}
