import { nonNegative, positiveInteger } from "./option-checks.js";

/** Where the breaker stands: `closed` tries DAX, `open` skips it, `half-open` lets one probe through. */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive DAX failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long an open breaker skips DAX before letting one probe through. Default 30,000 ms. */
  coolDownMs?: number;
}

/**
 * A consecutive-failure circuit breaker. While open, `tryAcquire()` says no; once the cool-down has passed it
 * says yes to exactly one caller (the probe) until that probe reports success (closed) or failure (open again).
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  private currentState: BreakerState = "closed";
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probeInFlight = false;

  constructor(
    options: BreakerOptions,
    private readonly now: () => number,
    private readonly onChange: (state: BreakerState, consecutiveFailures: number) => void = () => {},
  ) {
    this.failureThreshold = positiveInteger("breaker.failureThreshold", options.failureThreshold ?? 5);
    this.coolDownMs = nonNegative("breaker.coolDownMs", options.coolDownMs ?? 30_000);
  }

  get state(): BreakerState {
    return this.currentState;
  }

  /** True when the caller may try DAX now; a true in the half-open state makes the caller the probe. */
  tryAcquire(): boolean {
    if (this.currentState === "closed") return true;
    if (this.currentState === "open") {
      if (this.now() - this.openedAt < this.coolDownMs) return false;
      this.transition("half-open");
    }
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** Reports a DAX call (acquired through `tryAcquire`) that answered. */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    if (this.currentState !== "closed") this.transition("closed");
  }

  /** Reports a DAX call that failed or timed out. */
  recordFailure(): void {
    this.consecutiveFailures++;
    const wasProbe = this.currentState === "half-open";
    this.probeInFlight = false;
    if (wasProbe || (this.currentState === "closed" && this.consecutiveFailures >= this.failureThreshold)) {
      this.openedAt = this.now();
      this.transition("open");
    }
  }

  private transition(state: BreakerState): void {
    this.currentState = state;
    this.onChange(state, this.consecutiveFailures);
  }
}
