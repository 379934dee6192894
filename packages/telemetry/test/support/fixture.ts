import { afterEach, beforeEach } from "vitest";
import { type TelemetryStateStore, withTelemetry } from "../../src/index.js";
import { type Backend, type OpenedStore, openStore } from "./backends.js";
import { type OtelHarness, otelHarness } from "./otel.js";

/** What `useTelemetryStore` opens for each test. */
export interface TelemetryFixture {
  /** The in-memory OpenTelemetry SDK the store reports to. */
  otel: OtelHarness;
  /** The wrapped store (its tables and low-level client when DynamoDB-backed). */
  opened: OpenedStore;
  /** `withTelemetry(opened.store)` reporting to `otel`. */
  store: TelemetryStateStore;
}

/**
 * Registers, in the calling `describe`, a `beforeEach` that opens a fresh store on `backend` wrapped in
 * `withTelemetry` reporting to a fresh OTel harness, and an `afterEach` that closes all three. Read the
 * fields inside tests (they are replaced before each one).
 */
export function useTelemetryStore(backend: Backend): TelemetryFixture {
  const fixture = {} as TelemetryFixture;
  beforeEach(async () => {
    fixture.otel = otelHarness();
    fixture.opened = await openStore(backend);
    fixture.store = withTelemetry(fixture.opened.store, {
      tracerProvider: fixture.otel.tracerProvider,
      meterProvider: fixture.otel.meterProvider,
    });
  });
  afterEach(async () => {
    await fixture.store.close();
    await fixture.opened.dispose();
    await fixture.otel.shutdown();
  });
  return fixture;
}
