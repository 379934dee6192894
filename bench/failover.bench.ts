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

async function measure(idleMs: number): Promise<{ ms: number; region: string | null; events: string }> {
  const harness = await startLocalRegions(["home-1", "away-1"], uniqueTableNames("bench-failover"), {
    paused: true,
  });
  const events: RegionEvent[] = [];
  const store = new DynamoStateStore({
    tables: harness.tables,
    regions: harness.regions.map((r) => ({ region: r.name, clientConfig: r.clientConfig })),
    onRegionEvent: (event) => events.push(event),
  });
  try {
    const session = await store.sessions.create({});
    await store.sessions.append(session.sessionId, { role: "user", content: "before" });
    await harness.replicator.caughtUp();
    await harness.regions[0]?.stop();
    const died = performance.now();
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
    return { ms, region: store.currentRegion, events: events.map((e) => e.type).join(", ") };
  } finally {
    await store.close();
    await harness.dispose();
  }
}

export default async function bench(): Promise<void> {
  const writing = await measure(0);
  const idle = await measure(1_500);
  console.log(
    markdownTable(
      ["home dies while the agent is", "death → first successful write elsewhere", "served by", "events"],
      [
        [
          "writing (the write detects it)",
          `${writing.ms.toFixed(0)} ms`,
          writing.region ?? "none",
          writing.events,
        ],
        [
          "idle 1.5 s (the probe detects it)",
          `${idle.ms.toFixed(0)} ms (incl. the idle 1.5 s)`,
          idle.region ?? "none",
          idle.events,
        ],
      ],
    ),
  );
}
