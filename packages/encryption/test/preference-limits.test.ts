import { type Json, LIMITS, withLimitAllowance } from "@agent-state/core";
import { codeOf, incompressible, objectOfSize } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { withEncryption } from "../src/index.js";
import { ValueCrypto } from "../src/value-crypto.js";
import { testKeyring } from "./support/keys.js";

// `LIMITS.maxValueBytes` on preference records through the decorator: measured on the plaintext whatever the
// values compress to, with the inner store's requests counted (the common case adds none).

const MAX = LIMITS.maxValueBytes;
const MiB = 1024 * 1024;
const TIMEOUT_MS = 60_000;

const compressible = (n: number) => "a".repeat(n);
const keyring = testKeyring();
let inner: MemoryStateStore;
let store: ReturnType<typeof withEncryption>;
let calls: { get: number; patch: number };

beforeEach(() => {
  inner = new MemoryStateStore();
  calls = { get: 0, patch: 0 };
  const preferences = inner.preferences;
  // The real memory store underneath, its preference reads and patches counted.
  const counted = new Proxy(inner, {
    get(target, property) {
      if (property === "preferences") {
        return new Proxy(preferences, {
          get(prefs, name) {
            const value = Reflect.get(prefs, name, prefs);
            if (typeof value !== "function") return value;
            return (...args: unknown[]) => {
              if (name === "get" || name === "patch") calls[name]++;
              return value.apply(prefs, args);
            };
          },
        });
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  store = withEncryption(counted, { keyring });
});

function resetCalls(): void {
  calls = { get: 0, patch: 0 };
}

describe("preference records are measured on their plaintext", () => {
  it("values are sealed without compression: the ciphertext is exactly as long as the value's JSON", async () => {
    const values = { s: compressible(100_000), n: 1 };
    await store.preferences.set("u", "a", values);
    const stored = await inner.preferences.get("u", "a");
    const crypto = new ValueCrypto(keyring, true, "refuse");
    for (const [name, value] of Object.entries(values)) {
      const parsed = crypto.parseText(stored?.values[name]);
      expect(parsed?.ciphertext.byteLength).toBe(Buffer.byteLength(JSON.stringify(value)));
    }
    expect((await store.preferences.get("u", "a"))?.values).toEqual(values);
  });

  it(
    "compressible values: the maximum goes through set and patch, one byte more is ITEM_TOO_LARGE",
    async () => {
      expect(await codeOf(store.preferences.set("u", "a", objectOfSize(MAX + 1, compressible)))).toBe(
        "ITEM_TOO_LARGE",
      );
      expect(await store.preferences.get("u", "a")).toBeNull();
      await store.preferences.set("u", "a", objectOfSize(MAX, compressible));

      await store.preferences.set("u", "b", objectOfSize(MAX - 5, compressible));
      expect(await codeOf(store.preferences.patch("u", "b", { k: 1 }))).toBe("ITEM_TOO_LARGE");
      expect((await store.preferences.get("u", "b"))?.version).toBe(1);

      const shortBy6 = objectOfSize(MAX - 6, compressible);
      await store.preferences.set("u", "c", shortBy6);
      expect((await store.preferences.patch("u", "c", { k: 1 })).values).toEqual({ ...shortBy6, k: 1 });
      // Growing one value of the full record by a byte is over.
      expect(await codeOf(store.preferences.patch("u", "c", { k: 12 }))).toBe("ITEM_TOO_LARGE");
      expect((await store.preferences.get("u", "c"))?.version).toBe(2);
    },
    TIMEOUT_MS,
  );

  it("a patch of a record far from the limit is one inner patch and no read", async () => {
    await store.preferences.set("u", "a", objectOfSize(1 * MiB));
    resetCalls();
    await store.preferences.patch("u", "a", { k: 1, s: undefined });
    expect(calls).toEqual({ get: 0, patch: 1 });
  });

  it(
    "a patch of a record near the limit: the refused patch, one read and one patch; over it, nothing written",
    async () => {
      const shortBy6 = objectOfSize(MAX - 6);
      await store.preferences.set("u", "a", shortBy6);
      resetCalls();
      await store.preferences.patch("u", "a", { k: 1 });
      expect(calls).toEqual({ get: 1, patch: 2 });

      await store.preferences.set("u", "b", objectOfSize(MAX - 5));
      resetCalls();
      expect(await codeOf(store.preferences.patch("u", "b", { k: 1 }))).toBe("ITEM_TOO_LARGE");
      expect(calls).toEqual({ get: 1, patch: 1 });
      expect((await store.preferences.get("u", "b"))?.version).toBe(1);
    },
    TIMEOUT_MS,
  );

  it(
    "near the limit, a concurrent patch of another key between the read and the write: read again, both survive",
    async () => {
      const large = objectOfSize(MAX - 200);
      await store.preferences.set("u", "a", large);
      const realGet = inner.preferences.get.bind(inner.preferences);
      let raced = false;
      const spy = vi.spyOn(inner.preferences, "get").mockImplementation(async (userId, agentId) => {
        const snapshot = await realGet(userId, agentId);
        if (!raced) {
          raced = true;
          await store.preferences.patch("u", "a", { t: "xy" }); // grows the record after the snapshot
        }
        return snapshot;
      });
      try {
        resetCalls();
        const patched = await store.preferences.patch("u", "a", { k: 1 });
        expect(patched.values).toEqual({ ...large, t: "xy", k: 1 });
        expect(patched.version).toBe(3);
        // Ours: refused fast patch, read, refused patch, read, patch; the concurrent one: patch, read, patch.
        expect(calls).toEqual({ get: 3, patch: 5 });
      } finally {
        spy.mockRestore();
      }
    },
    TIMEOUT_MS,
  );

  it(
    "a value stored compressed (before preferences stopped compressing) counts at its decrypted size",
    async () => {
      await store.preferences.set("u", "a", { big: incompressible(6.5 * MiB) });
      const crypto = new ValueCrypto(keyring, true, "refuse");
      const old: Json = "a".repeat(3 * MiB);
      const sealed = crypto.sealJson(await crypto.newKey(), ["preference", "u", "a", "old"], old);
      expect(sealed.length).toBeLessThan(MiB); // stored far smaller than its plaintext
      await withLimitAllowance(MAX, () => inner.preferences.patch("u", "a", { old: sealed }));
      expect(await codeOf(store.preferences.patch("u", "a", { k: 1 }))).toBe("ITEM_TOO_LARGE");
      expect((await store.preferences.get("u", "a"))?.values.old).toBe(old);
      expect((await store.preferences.patch("u", "a", { big: undefined, k: 1 })).values).toEqual({
        old,
        k: 1,
      });
    },
    TIMEOUT_MS,
  );
});
