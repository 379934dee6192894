import { randomBytes } from "node:crypto";
import { codeOf } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { describe, expect, it } from "vitest";
import { localKeyring, reencrypt, withEncryption } from "../src/index.js";

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const before = localKeyring({ keys: { old: oldKey }, current: "old" });
const rotated = localKeyring({ keys: { old: oldKey, new: newKey }, current: "new" });
const retired = localKeyring({ keys: { new: newKey }, current: "new" });

describe("key rotation", () => {
  it("new writes use the current key; old values stay readable while their key is in the keyring", async () => {
    const inner = new MemoryStateStore();
    const a = withEncryption(inner, { keyring: before });
    const { sessionId } = await a.sessions.create({ state: { v: 1 } });
    await a.sessions.append(sessionId, { role: "user", content: "under old" });
    const b = withEncryption(inner, { keyring: rotated });
    await b.sessions.append(sessionId, { role: "user", content: "under new" });
    expect((await b.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual([
      "under old",
      "under new",
    ]);
    expect((await b.sessions.get(sessionId))?.state).toEqual({ v: 1 });
    const c = withEncryption(inner, { keyring: retired });
    expect(await codeOf(c.sessions.get(sessionId))).toBe("DECRYPTION_FAILED");
  });

  it("reencrypt rewrites a scope's records and a session's state under the current key", async () => {
    const inner = new MemoryStateStore();
    const a = withEncryption(inner, { keyring: before });
    await a.records.write("thread", [
      { put: "a", value: { n: 1 } },
      { put: "b", value: new Uint8Array([1, 2]) },
      { put: "c", value: "expiring", ttlSeconds: 3600 },
    ]);
    const { sessionId } = await a.sessions.create({ state: { secret: "s" } });
    await a.sessions.append(sessionId, { role: "user", content: "old message" });

    const b = withEncryption(inner, { keyring: rotated });
    await b.records.write("thread", [{ put: "d", value: "already new" }]);
    expect(await reencrypt(b, { scope: "thread" })).toEqual({
      rewritten: 3,
      skipped: 1,
      messagesUnderOldKeys: 0,
    });
    expect(await reencrypt(b, { scope: "thread" })).toEqual({
      rewritten: 0,
      skipped: 4,
      messagesUnderOldKeys: 0,
    });
    expect(await reencrypt(b, { sessionId })).toEqual({ rewritten: 1, skipped: 0, messagesUnderOldKeys: 1 });

    // With the old key gone: records and state read; the old message does not (messages are immutable).
    const c = withEncryption(inner, { keyring: retired });
    const records = (await c.records.range("thread")).items;
    expect(records.map((r) => [r.key, r.value, r.version])).toEqual([
      ["a", { n: 1 }, 2],
      ["b", new Uint8Array([1, 2]), 2],
      ["c", "expiring", 2],
      ["d", "already new", 1],
    ]);
    expect(records[2]?.expiresAt).not.toBeNull();
    expect((await c.sessions.get(sessionId))?.state).toEqual({ secret: "s" });
    expect(await codeOf(c.sessions.messages(sessionId))).toBe("DECRYPTION_FAILED");
    await c.sessions.append(sessionId, { role: "user", content: "idempotent" }, { idempotencyKey: "k" });
  });
});

describe("idempotent appends across processes", () => {
  it("a retry through another decorator (no shared memory) returns the first call's messages", async () => {
    const inner = new MemoryStateStore();
    const keyring = localKeyring({ keys: { k: randomBytes(32) }, current: "k" });
    const first = withEncryption(inner, { keyring });
    const { sessionId } = await first.sessions.create();
    const batch = [
      { role: "user" as const, content: "same" },
      { role: "user" as const, content: "same", metadata: { n: 1 } },
    ];
    const appended = await first.sessions.append(sessionId, batch, { idempotencyKey: "turn-1" });
    // Another writer changes the state meanwhile: the session key stays, so the retry still matches.
    await first.sessions.update(sessionId, { state: { changed: true } });
    const second = withEncryption(inner, { keyring });
    expect(await second.sessions.append(sessionId, batch, { idempotencyKey: "turn-1" })).toEqual(appended);
    expect(
      await codeOf(
        second.sessions.append(sessionId, [{ role: "user", content: "other" }], { idempotencyKey: "turn-1" }),
      ),
    ).toBe("VALIDATION");
    expect((await second.sessions.get(sessionId))?.messageCount).toBe(2);
    // Two equal messages of one append still get distinct nonces.
    const raw = (await inner.sessions.messages(sessionId)).items;
    expect(raw[0]?.metadata).not.toEqual(raw[1]?.metadata);
    expect(raw[0]?.content).not.toBe(raw[1]?.content);
  });
});
