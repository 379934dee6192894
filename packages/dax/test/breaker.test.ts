import { describe, expect, it } from "vitest";
import { type BreakerState, CircuitBreaker } from "../src/index.js";

describe("CircuitBreaker", () => {
  function setup(failureThreshold = 3, coolDownMs = 10_000) {
    let now = 0;
    const changes: BreakerState[] = [];
    const breaker = new CircuitBreaker(
      { failureThreshold, coolDownMs },
      () => now,
      (state) => changes.push(state),
    );
    return { breaker, changes, advance: (ms: number) => (now += ms) };
  }

  it("opens after failureThreshold consecutive failures, not before", () => {
    const { breaker, changes } = setup(3);
    for (let i = 0; i < 2; i++) {
      expect(breaker.tryAcquire()).toBe(true);
      breaker.recordFailure();
    }
    expect(breaker.state).toBe("closed");
    breaker.tryAcquire();
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    expect(breaker.tryAcquire()).toBe(false);
    expect(changes).toEqual(["open"]);
  });

  it("a success resets the count of consecutive failures", () => {
    const { breaker } = setup(2);
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed");
  });

  it("after the cool-down lets exactly one probe through, and closes when it succeeds", () => {
    const { breaker, changes, advance } = setup(1, 10_000);
    breaker.recordFailure();
    advance(9_999);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe("half-open");
    expect(breaker.tryAcquire()).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes).toEqual(["open", "half-open", "closed"]);
  });

  it("a failed probe opens it again for another full cool-down", () => {
    const { breaker, advance } = setup(1, 10_000);
    breaker.recordFailure();
    advance(10_000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    advance(9_999);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it("rejects nonsensical options with a ValidationError", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 }, () => 0)).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    expect(() => new CircuitBreaker({ coolDownMs: -1 }, () => 0)).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
  });
});
