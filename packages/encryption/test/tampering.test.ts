import { randomBytes } from "node:crypto";
import type { Json, Message } from "@agent-state/core";
import { codeOf } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { beforeEach, describe, expect, it } from "vitest";
import { withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";

// Each test copies a stored ciphertext (read from the store underneath) to another place, or changes one byte
// of it, through the inner store's own API, then reads through the decorator: always DECRYPTION_FAILED, never
// the other place's data.

let inner: MemoryStateStore;
let store: ReturnType<typeof withEncryption>;
const keyring = testKeyring();

beforeEach(() => {
  inner = new MemoryStateStore();
  store = withEncryption(inner, { keyring });
});

/** Every one-byte change of an encrypted text value (after its "ase1:" prefix). */
function oneByteChanges(text: string): string[] {
  const bytes = Buffer.from(text.slice(5), "base64url");
  return Array.from({ length: bytes.length }, (_, i) => {
    const changed = Buffer.from(bytes);
    changed[i]! ^= 0x01;
    return `ase1:${changed.toString("base64url")}`;
  });
}

async function rawMessages(sessionId: string): Promise<Message[]> {
  return (await inner.sessions.messages(sessionId)).items;
}

describe("a ciphertext moved to another place fails to decrypt", () => {
  it("message ↔ message in one session (each keeps its own nonce): both DECRYPTION_FAILED", async () => {
    const { sessionId } = await store.sessions.create();
    await store.sessions.append(sessionId, [
      { role: "user", content: "first secret" },
      { role: "user", content: "second secret" },
    ]);
    const [a, b] = await rawMessages(sessionId);
    await inner.sessions.append(
      sessionId,
      [
        { role: "user", content: b!.content, metadata: a!.metadata! },
        { role: "user", content: a!.content, metadata: b!.metadata! },
      ],
      { replace: { removeLast: 2 } },
    );
    expect(await codeOf(store.sessions.messages(sessionId))).toBe("DECRYPTION_FAILED");
    const error = await store.sessions.get(sessionId, { recentMessages: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DECRYPTION_FAILED", name: "DecryptionFailedError" });
    expect((error as Error).message).not.toContain("secret");
  });

  it("a whole message (ciphertext and nonce) copied to another session: DECRYPTION_FAILED", async () => {
    const one = await store.sessions.create();
    const two = await store.sessions.create();
    await store.sessions.append(one.sessionId, { role: "user", content: "in session one" });
    const [stored] = await rawMessages(one.sessionId);
    await inner.sessions.append(two.sessionId, {
      role: "user",
      content: stored!.content,
      metadata: stored!.metadata!,
    });
    expect(await codeOf(store.sessions.messages(two.sessionId))).toBe("DECRYPTION_FAILED");
    expect((await store.sessions.messages(one.sessionId)).items.map((m) => m.content)).toEqual([
      "in session one",
    ]);
  });

  it("a message's role changed: DECRYPTION_FAILED", async () => {
    const { sessionId } = await store.sessions.create();
    await store.sessions.append(sessionId, { role: "tool", content: "tool output" });
    const [stored] = await rawMessages(sessionId);
    await inner.sessions.append(
      sessionId,
      { role: "system", content: stored!.content, metadata: stored!.metadata! },
      {
        replace: { removeLast: 1 },
      },
    );
    expect(await codeOf(store.sessions.messages(sessionId))).toBe("DECRYPTION_FAILED");
  });

  it("session state ↔ session state: DECRYPTION_FAILED; the source session still reads", async () => {
    const one = await store.sessions.create({ state: { owner: "one" } });
    const two = await store.sessions.create({ state: { owner: "two" } });
    const raw = (await inner.sessions.get(one.sessionId))!.state;
    await inner.sessions.update(two.sessionId, { state: raw });
    expect(await codeOf(store.sessions.get(two.sessionId))).toBe("DECRYPTION_FAILED");
    expect((await store.sessions.get(one.sessionId))?.state).toEqual({ owner: "one" });
  });

  it("a record value copied to another key, or to the same key in another scope: DECRYPTION_FAILED", async () => {
    await store.records.write("scope", [
      { put: "a", value: { secret: "a" } },
      { put: "b", value: new Uint8Array([1, 2, 3]) },
    ]);
    const [a] = await inner.records.get("scope", ["a"]);
    await inner.records.write("scope", [{ put: "b", value: a!.value }]);
    await inner.records.write("other-scope", [{ put: "a", value: a!.value }]);
    expect(await codeOf(store.records.get("scope", ["b"]))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.records.range("scope"))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.records.get("other-scope", ["a"]))).toBe("DECRYPTION_FAILED");
    expect((await store.records.get("scope", ["a"]))[0]?.value).toEqual({ secret: "a" });
  });

  it("a cached result copied to other parameters or another tool: DECRYPTION_FAILED", async () => {
    await store.toolCache.set("weather", { city: "Oslo" }, { temp: -3 }, { ttlSeconds: 60 });
    const raw = (await inner.toolCache.get<Json>("weather", { city: "Oslo" }))!.value;
    await inner.toolCache.set("weather", { city: "Rome" }, raw, { ttlSeconds: 60 });
    await inner.toolCache.set("forecast", { city: "Oslo" }, raw, { ttlSeconds: 60 });
    expect(await codeOf(store.toolCache.get("weather", { city: "Rome" }))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.toolCache.get("forecast", { city: "Oslo" }))).toBe("DECRYPTION_FAILED");
    expect((await store.toolCache.get("weather", { city: "Oslo" }))?.value).toEqual({ temp: -3 });
  });

  it("a user's preferences copied to another user, agent, or preference name: DECRYPTION_FAILED", async () => {
    await store.preferences.set("ada", "helper", { units: "metric", lang: "en" });
    const raw = (await inner.preferences.get("ada", "helper"))!.values;
    await inner.preferences.set("bob", "helper", raw);
    await inner.preferences.set("ada", "other-agent", raw);
    await inner.preferences.set("ada", "swapped", { units: raw.lang!, lang: raw.units! });
    for (const [user, agent] of [
      ["bob", "helper"],
      ["ada", "other-agent"],
      ["ada", "swapped"],
    ] as const) {
      expect(await codeOf(store.preferences.get(user, agent))).toBe("DECRYPTION_FAILED");
    }
    expect((await store.preferences.get("ada", "helper"))?.values).toEqual({ units: "metric", lang: "en" });
  });
});

describe("one changed byte anywhere in a stored value fails to decrypt", () => {
  it("every single-byte change of a cached result, a preference, a message and a state: DECRYPTION_FAILED", async () => {
    await store.toolCache.set("t", { q: 1 }, "cached secret", { ttlSeconds: 60 });
    const cached = (await inner.toolCache.get<string>("t", { q: 1 }))!.value;
    const variants = oneByteChanges(cached);
    expect(variants.length).toBeGreaterThan(100);
    for (const variant of variants) {
      await inner.toolCache.set("t", { q: 1 }, variant, { ttlSeconds: 60 });
      expect(await codeOf(store.toolCache.get("t", { q: 1 }))).toBe("DECRYPTION_FAILED");
    }
    await store.preferences.set("u", "a", { k: "preference secret" });
    const pref = (await inner.preferences.get("u", "a"))!.values.k as string;
    for (const variant of oneByteChanges(pref)) {
      await inner.preferences.set("u", "a", { k: variant });
      expect(await codeOf(store.preferences.get("u", "a"))).toBe("DECRYPTION_FAILED");
    }
    const { sessionId } = await store.sessions.create({ state: { s: "state secret" } });
    const state = (await inner.sessions.get(sessionId))!.state.ase1 as string;
    for (const variant of oneByteChanges(state).filter((_, i) => i % 7 === 0)) {
      await inner.sessions.update(sessionId, { state: { ase1: variant } });
      expect(await codeOf(store.sessions.get(sessionId))).toBe("DECRYPTION_FAILED");
    }
    await store.sessions.append(sessionId, { role: "user", content: "message secret" });
    const [message] = await rawMessages(sessionId);
    for (const variant of oneByteChanges(message!.content).filter((_, i) => i % 7 === 0)) {
      await inner.sessions.append(
        sessionId,
        { role: "user", content: variant, metadata: message!.metadata! },
        {
          replace: { removeLast: 1 },
        },
      );
      expect(await codeOf(store.sessions.messages(sessionId))).toBe("DECRYPTION_FAILED");
    }
  });

  it("every single-byte change of a stored record (bytes): DECRYPTION_FAILED", async () => {
    await store.records.write("s", [{ put: "k", value: randomBytes(64) }]);
    const [stored] = await inner.records.get("s", ["k"]);
    const bytes = stored!.value as Uint8Array;
    for (let i = 0; i < bytes.length; i++) {
      const changed = new Uint8Array(bytes);
      changed[i]! ^= 0x80;
      await inner.records.write("s", [{ put: "k", value: changed }]);
      expect(await codeOf(store.records.get("s", ["k"]))).toBe("DECRYPTION_FAILED");
    }
    // Cut short by one byte, or grown by one.
    for (const changed of [bytes.subarray(0, bytes.length - 1), new Uint8Array([...bytes, 0])]) {
      await inner.records.write("s", [{ put: "k", value: changed }]);
      expect(await codeOf(store.records.get("s", ["k"]))).toBe("DECRYPTION_FAILED");
    }
  });
});

describe("plaintext", () => {
  it("is refused on read: DECRYPTION_FAILED for every kind", async () => {
    const { sessionId } = await inner.sessions.create({ state: { plain: true } });
    await inner.sessions.append(sessionId, { role: "user", content: "plain" });
    await inner.records.write("s", [{ put: "k", value: "plain" }]);
    await inner.toolCache.set("t", {}, "plain", { ttlSeconds: 60 });
    await inner.preferences.set("u", "a", { k: "plain" });
    expect(await codeOf(store.sessions.get(sessionId))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.sessions.messages(sessionId))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.records.get("s", ["k"]))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.toolCache.get("t", {}))).toBe("DECRYPTION_FAILED");
    expect(await codeOf(store.preferences.get("u", "a"))).toBe("DECRYPTION_FAILED");
  });

  it('is read in migration mode (legacyPlaintext: "read") and encrypted on its next write', async () => {
    const { sessionId } = await inner.sessions.create({ state: { plain: true } });
    await inner.sessions.append(sessionId, { role: "user", content: "old message" });
    await inner.records.write("s", [{ put: "k", value: "old record" }]);
    await inner.preferences.set("u", "a", { k: "old" });
    const migrating = withEncryption(inner, { keyring, legacyPlaintext: "read" });
    expect((await migrating.sessions.get(sessionId))?.state).toEqual({ plain: true });
    expect((await migrating.records.get("s", ["k"]))[0]?.value).toBe("old record");
    expect((await migrating.preferences.get("u", "a"))?.values).toEqual({ k: "old" });
    await migrating.sessions.update(sessionId, { state: { plain: false } });
    await migrating.sessions.append(sessionId, { role: "user", content: "new message" });
    await migrating.records.write("s", [{ put: "k", value: "new record" }]);
    await migrating.preferences.patch("u", "a", { k: "new" });
    expect((await migrating.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual([
      "old message",
      "new message",
    ]);
    // Re-encrypted: the strict store reads what was rewritten; the old message is still plaintext.
    expect((await store.sessions.get(sessionId))?.state).toEqual({ plain: false });
    expect((await store.records.get("s", ["k"]))[0]?.value).toBe("new record");
    expect((await store.preferences.get("u", "a"))?.values).toEqual({ k: "new" });
    expect(await codeOf(store.sessions.messages(sessionId))).toBe("DECRYPTION_FAILED");
    const raw = (await inner.records.get("s", ["k"]))[0]?.value as Uint8Array;
    expect(Buffer.from(raw).toString("latin1")).not.toContain("new record");
  });
});
