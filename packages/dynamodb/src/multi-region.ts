import { ValidationError } from "@agent-state/core";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDocumentMethods } from "./client.js";
import { createFailoverClient } from "./failover-client.js";
import {
  type RegionEvent,
  RegionHealth,
  type RegionHealthOptions,
  type RegionOption,
  regionClients,
} from "./regions.js";
import { distinctTables, type TableNames } from "./schema.js";

/** The `regions` form of the store's options. */
export interface MultiRegionOptions {
  /** The regions of the Global Table, first = home. Each gets a client you own or a config the store builds. */
  regions: RegionOption[];
  /** Told when a region goes down or up and when operations move (see `RegionEvent`). Must not throw. */
  onRegionEvent?: (event: RegionEvent) => void;
  /** Probe interval, probe timeout and hysteresis (defaults: 1 s, 1 s, 30 s). */
  regionHealth?: RegionHealthOptions;
  /**
   * The Global Table's consistency mode. `"STRONG"` (MRSC) is refused with `UnsupportedTableModeError`: MRSC
   * rejects TransactWriteItems, on which append, create-after-expiry and atomic record writes rely, and has
   * no TTL. Default `"EVENTUAL"`. `verifyTableMode` checks a live table.
   */
  multiRegionConsistency?: "EVENTUAL" | "STRONG";
}

/** The table mode cannot run this store (today: a multi-region strongly consistent Global Table). */
export class UnsupportedTableModeError extends ValidationError {
  constructor(detail: string) {
    super(
      "multiRegionConsistency",
      `${detail}: multi-region strong consistency (MRSC) tables reject TransactWriteItems, which append ` +
        "(messages + meta in one all-or-nothing write), atomic record writes and create-after-expiry need, " +
        "and they have no TTL. Use a default (eventually consistent) Global Table with sticky routing.",
    );
    this.name = "UnsupportedTableModeError";
  }
}

export interface RegionRouting {
  home: string;
  client: DynamoDocumentMethods;
  health: RegionHealth;
  close(): Promise<void>;
}

/** Key of the health probe's GetItem: the sessions table's partition no session id can produce. */
const PROBE_KEY = { pk: "health#probe", sk: "probe" };

/** Builds the region clients, the health checker (probes started) and the failover client of a store. */
export function startRegionRouting(options: MultiRegionOptions, tables: TableNames): RegionRouting {
  if (options.multiRegionConsistency === "STRONG")
    throw new UnsupportedTableModeError("multiRegionConsistency: STRONG");
  if (options.multiRegionConsistency !== undefined && options.multiRegionConsistency !== "EVENTUAL") {
    throw new ValidationError("multiRegionConsistency", 'must be "EVENTUAL" or "STRONG"');
  }
  if ((options as { region?: unknown }).region !== undefined) {
    throw new ValidationError("region", "is replaced by regions (the first is home): give one of them");
  }
  const { names, clients, owned } = regionClients(options.regions);
  const listener = options.onRegionEvent;
  const emit = (event: RegionEvent) => {
    try {
      listener?.(event);
    } catch {
      // a listener's failure must not break routing
    }
  };
  const health = new RegionHealth(
    names,
    (index) => (clients[index] as DynamoDocumentMethods).get({ TableName: tables.sessions, Key: PROBE_KEY }),
    emit,
    options.regionHealth,
  );
  health.start();
  return {
    home: names[0] as string,
    client: createFailoverClient(names, clients, health, emit),
    health,
    async close() {
      await health.stop();
      for (const low of owned) low.destroy();
    },
  };
}

/**
 * Throws `UnsupportedTableModeError` when any of the tables is a multi-region strongly consistent Global
 * Table (DescribeTable's `MultiRegionConsistency: STRONG`). Run it at start-up with an admin client.
 */
export async function verifyTableMode(
  client: Pick<DynamoDBClient, "send">,
  tables: TableNames,
): Promise<void> {
  for (const TableName of distinctTables(tables)) {
    const output = await client.send(new DescribeTableCommand({ TableName }));
    if (output.Table?.MultiRegionConsistency === "STRONG") {
      throw new UnsupportedTableModeError(`table ${TableName} is MultiRegionConsistency STRONG`);
    }
  }
}
