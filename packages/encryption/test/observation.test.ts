import { randomBytes } from "node:crypto";
import { observationOf, type StoreEvent } from "@agent-state/core";
import { MemoryStateStore } from "@agent-state/memory";
import { describe, expect, it } from "vitest";
import { localKeyring, withEncryption } from "../src/index.js";

describe("telemetry sees through the decorator", () => {
  it("describes itself as the store it wraps (system, collections, events)", async () => {
    const inner = new MemoryStateStore();
    const store = withEncryption(inner, {
      keyring: localKeyring({ keys: { k: randomBytes(32) }, current: "k" }),
    });
    const own = observationOf(inner);
    const seen = observationOf(store);
    expect(own).toBeDefined();
    expect(seen?.system).toBe(own?.system);
    expect(seen?.collections).toEqual(own?.collections);
    const events: StoreEvent[] = [];
    const stop = seen?.subscribe((event) => events.push(event));
    expect(typeof stop).toBe("function");
    stop?.();
    await store.close();
  });
});
