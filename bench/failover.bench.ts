/**
 * Multi-region failover: the time from a region's death (its DynamoDB Local process has exited) to the first
 * successful write in the other region, for a store with `regions: [home, away]` and the default client
 * settings (3 attempts, 2 s connect / 5 s request timeouts) and health options (1 s probes, 30 s hysteresis).
 * Two rows: the agent is writing when home dies (the write itself finds out), and home dies while the agent is
 * idle (the background probe finds out first). Two DynamoDB Local processes are started here and stopped.
 */
import { DynamoStateStore, type RegionEvent } from "../packages/dynamodb/src/index.js";
import { startLocalRegions, uniqueTableNames } from "../packages/dynamodb/src/testing/index.js";
import { markdownTable } from "./support.js";

interface Measured {
  ms: number;
  switchedMs: number | null;
  region: string | null;
  events: string;
}

async function measure(idleMs: number): Promise<Measured> {
  const harness = await startLocalRegions(["home-1", "away-1"], uniqueTableNames("bench-failover"), {
    paused: true,
  });
  const events: RegionEvent[] = [];
  const store = new DynamoStateStore({
    tables: harness.tables,
    regions: harness.regions.map((r) => ({ region: r.name, clientConfig: r.clientConfig })),
    onRegionEvent: (event) => events.push(event),
    // The default probe timeout (1 s) is for DynamoDB; a JVM on a loaded 2-core machine can be slower than that.
    regionHealth: { probeTimeoutMs: 5_000 },
  });
  try {
    const session = await store.sessions.create({});
    await store.sessions.append(session.sessionId, { role: "user", content: "before" });
    await harness.replicator.caughtUp();
    await harness.regions[0]?.stop();
    const died = performance.now();
    const diedAt = Date.now();
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    for (;;) {
      try {
        await store.sessions.append(session.sessionId, { role: "user", content: "after" });
        break;
      } catch {
        // UNAVAILABLE: try again
      }
    }
    const ms = performance.now() - died;
    const region = store.currentRegion;
    const switched = events.find((e) => e.type === "switched" && e.to === "away-1");
    return {
      ms,
      switchedMs: switched === undefined ? null : Math.max(0, switched.at - diedAt),
      region,
      events: events.map((e) => e.type).join(", "),
    };
  } finally {
    await store.close();
    await harness.dispose();
  }
}

export default async function bench(): Promise<void> {
  const writing = await measure(0);
  const idle = await measure(1_500);
  const row = (label: string, m: Measured) => [
    label,
    m.switchedMs === null ? "–" : `${m.switchedMs} ms`,
    `${m.ms.toFixed(0)} ms`,
    m.region ?? "none",
    m.events,
  ];
  console.log(
    markdownTable(
      [
        "home dies while the agent is",
        "death → switched event",
        "death → first successful write elsewhere",
        "served by",
        "events",
      ],
      [row("writing (the write detects it)", writing), row("idle 1.5 s (the probe detects it)", idle)],
    ),
  );
  console.log(
    "\n(the idle row's write starts 1.5 s after the death; both include DynamoDB Local's refusal and the client's retries)",
  );
}
