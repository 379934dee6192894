import type { StateStore } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import { describe, expect, it } from "vitest";
import { loadConfig, silentLogger, startServer } from "../src/index.js";
import { ADMIN_TOKEN } from "./helpers.js";

/** A memory store whose `sessions.get` waits for `release()` once `hold()` was called. */
function holdingStore(): { store: StateStore; hold(): Promise<void>; release(): void; closed(): boolean } {
  const inner = new MemoryStateStore();
  let holding = false;
  let entered!: () => void;
  const enteredPromise = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let isClosed = false;
  const sessions = new Proxy(inner.sessions, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== "get" || typeof value !== "function")
        return typeof value === "function" ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        if (holding) {
          entered();
          await released;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const store: StateStore = {
    sessions,
    toolCache: inner.toolCache,
    preferences: inner.preferences,
    records: inner.records,
    stats: () => inner.stats(),
    close: async () => {
      isClosed = true;
      await inner.close();
    },
  };
  return {
    store,
    hold: () => {
      holding = true;
      return enteredPromise;
    },
    release,
    closed: () => isClosed,
  };
}

describe("graceful shutdown", () => {
  it("stops accepting, finishes the in-flight request, then closes the store", async () => {
    const held = holdingStore();
    await held.store.sessions.create({ sessionId: "slow", userId: "u" });
    const config = loadConfig({ store: "memory", port: "0" }, { AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN });
    const server = await startServer(config, silentLogger, {
      store: { store: held.store, kind: "memory", description: "held", close: () => held.store.close() },
    });
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const entered = held.hold();
    const inFlight = fetch(`${server.url}/state/sessions/slow`, { headers });
    await entered;
    const stopped = server.stop();

    // New connections are refused while the in-flight request is still being served.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(held.closed()).toBe(false);

    held.release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sessionId: "slow", userId: "u" });
    await stopped;
    expect(held.closed()).toBe(true);
  });
});
