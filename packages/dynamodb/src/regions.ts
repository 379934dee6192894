import { ValidationError } from "@agent-state/core";
import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  createDynamoClient,
  type DynamoClientLike,
  type DynamoDocumentMethods,
  toDocumentMethods,
} from "./client.js";
import { trackAttempts } from "./failover-client.js";

/** One region of a multi-region store: its name and a client you own, or a config the store builds. */
export type RegionOption = { region: string } & (
  | { client: DynamoClientLike; clientConfig?: never }
  | { clientConfig: DynamoDBClientConfig; client?: never }
);

/** Why the store stopped or started using a region. */
export type RegionEventReason = "request-failed" | "probe-failed" | "recovered";

/** What the region routing did (pass `onRegionEvent` to the store). `at` is `Date.now()` when it happened. */
export type RegionEvent =
  /** A region is considered down: a request to it failed at the connection level, or its probe failed. */
  | {
      type: "region-down";
      region: string;
      reason: "request-failed" | "probe-failed";
      error: unknown;
      at: number;
    }
  /** A down region answered every probe for `recoverAfterMs` and is used again (in list order). */
  | { type: "region-up"; region: string; at: number }
  /** Operations now go to `to` (null: every region is down; each call then tries them all in order). */
  | {
      type: "switched";
      from: string | null;
      to: string | null;
      kind: "failover" | "failback";
      reason: RegionEventReason;
      at: number;
    }
  /** A write failed in `region` after it may have been applied there: not re-sent elsewhere, surfaced as UNAVAILABLE. */
  | { type: "write-outcome-unknown"; region: string; operation: string; error: unknown; at: number };

/** Health-check and hysteresis settings of a multi-region store. */
export interface RegionHealthOptions {
  /** Every region is probed (one eventually consistent GetItem of a key that never exists) this often; default 1,000 ms. */
  probeIntervalMs?: number;
  /** A probe that has not answered after this long counts as failed; default 1,000 ms. */
  probeTimeoutMs?: number;
  /** A down region is used again only after its probes have all succeeded for this long; default 30,000 ms. */
  recoverAfterMs?: number;
}

interface RegionState {
  up: boolean;
  /** When the current run of successful probes of a down region began (monotonic ms), or null. */
  healthySince: number | null;
  probing: Promise<void> | null;
}

/**
 * Which regions are up, in the configured order (the first is home). A region goes down at once when a
 * request or probe to it fails at the connection level, and comes back only after its probes have all
 * succeeded for `recoverAfterMs` (hysteresis), so a flapping region does not pull traffic back and forth.
 * Operations go to the first region that is up.
 */
export class RegionHealth {
  private readonly states: RegionState[];
  private current: number | null = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly recoverAfterMs: number;

  constructor(
    readonly names: readonly string[],
    private readonly probe: (index: number) => Promise<unknown>,
    private readonly emit: (event: RegionEvent) => void,
    options: RegionHealthOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.states = names.map(() => ({ up: true, healthySince: null, probing: null }));
    this.probeIntervalMs = positive("probeIntervalMs", options.probeIntervalMs ?? 1_000);
    this.probeTimeoutMs = positive("probeTimeoutMs", options.probeTimeoutMs ?? 1_000);
    this.recoverAfterMs = nonNegative("recoverAfterMs", options.recoverAfterMs ?? 30_000);
  }

  /** Starts the background probes (an unref'd timer: it never keeps the process alive). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.probeAll(), this.probeIntervalMs);
    this.timer.unref();
  }

  /** Stops the probes and waits for those in flight. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.states.map((s) => s.probing));
  }

  /** The region operations go to now (null when every region is down). */
  get currentRegion(): string | null {
    return this.current === null ? null : (this.names[this.current] ?? null);
  }

  /** Region indexes to try for one call: the regions that are up in order, then (as a last resort) the others. */
  candidates(): number[] {
    const up: number[] = [];
    const down: number[] = [];
    this.states.forEach((s, i) => {
      (s.up ? up : down).push(i);
    });
    return [...up, ...down];
  }

  /** True when the region is up. */
  isUp(index: number): boolean {
    return this.states[index]?.up === true;
  }

  /** Up/down per region, in the configured order. */
  status(): Array<{ region: string; up: boolean }> {
    return this.states.map((s, i) => ({ region: this.names[i] ?? "", up: s.up }));
  }

  /** A request or probe to the region failed at the connection level: it is down from now on. */
  failed(index: number, reason: "request-failed" | "probe-failed", error: unknown): void {
    const state = this.states[index];
    if (state === undefined) return;
    state.healthySince = null;
    if (!state.up) return;
    state.up = false;
    this.emit({ type: "region-down", region: this.names[index] ?? "", reason, error, at: Date.now() });
    this.reselect(reason);
  }

  /** The region answered (a probe, or a request sent to it as a last resort). */
  answered(index: number): void {
    const state = this.states[index];
    if (state === undefined || state.up) return;
    const now = this.now();
    if (state.healthySince === null) state.healthySince = now;
    if (now - state.healthySince < this.recoverAfterMs) return;
    state.up = true;
    state.healthySince = null;
    this.emit({ type: "region-up", region: this.names[index] ?? "", at: Date.now() });
    this.reselect("recovered");
  }

  /** Probes every region once (also what the timer does); resolves when all have answered or timed out. */
  async probeAll(): Promise<void> {
    await Promise.all(
      this.states.map((state, index) => {
        if (state.probing === null) {
          state.probing = this.probeOnce(index).finally(() => {
            state.probing = null;
          });
        }
        return state.probing;
      }),
    );
  }

  private async probeOnce(index: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`region probe timed out after ${this.probeTimeoutMs} ms`)),
        this.probeTimeoutMs,
      );
    });
    try {
      await Promise.race([this.probe(index), timeout]);
      this.answered(index);
    } catch (error) {
      this.failed(index, "probe-failed", error);
    } finally {
      clearTimeout(timer);
    }
  }

  private reselect(reason: RegionEventReason): void {
    const first = this.states.findIndex((s) => s.up);
    const next = first === -1 ? null : first;
    if (next === this.current) return;
    const from = this.currentRegion;
    const kind = next !== null && (this.current === null || next < this.current) ? "failback" : "failover";
    this.current = next;
    this.emit({ type: "switched", from, to: this.currentRegion, kind, reason, at: Date.now() });
  }
}

/** The clients of a multi-region store, one per region, and the ones it built (destroyed on close). */
export interface RegionClients {
  names: string[];
  clients: DynamoDocumentMethods[];
  owned: DynamoDBClient[];
}

/** Validates the `regions` option and builds or wraps one client per region (first = home). */
export function regionClients(regions: readonly RegionOption[]): RegionClients {
  if (!Array.isArray(regions) || regions.length === 0) {
    throw new ValidationError("regions", "must list at least one region (the first is home)");
  }
  const names: string[] = [];
  const clients: DynamoDocumentMethods[] = [];
  const owned: DynamoDBClient[] = [];
  for (const option of regions) {
    const name = option.region;
    if (typeof name !== "string" || name.length === 0 || name.length > 64 || /[^A-Za-z0-9-]/.test(name)) {
      throw new ValidationError(
        "regions",
        `region names are 1-64 letters, digits or '-', got ${JSON.stringify(name)}`,
      );
    }
    if (names.includes(name)) throw new ValidationError("regions", `region ${name} is listed twice`);
    if ((option.client === undefined) === (option.clientConfig === undefined)) {
      throw new ValidationError("regions", `region ${name}: give exactly one of client and clientConfig`);
    }
    names.push(name);
    if (option.client !== undefined) {
      trackAttempts(option.client);
      clients.push(toDocumentMethods(option.client));
    } else {
      const client = createDynamoClient({ region: name, ...option.clientConfig });
      trackAttempts(client);
      owned.push(client);
      clients.push(toDocumentMethods(client));
    }
  }
  return { names, clients, owned };
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new ValidationError(field, "must be a positive number of ms");
  return value;
}

function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new ValidationError(field, "must be a number of ms ≥ 0");
  return value;
}
