import { codeOf } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { findFreePort } from "@agent-state/redis/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { kmsKeyring, withEncryption } from "../src/index.js";
import { KmsDouble } from "./support/kms-double.js";

const MARKER = "kms-plaintext-marker-7d1e";
const kms = new KmsDouble();

beforeAll(() => kms.start());
afterAll(() => kms.stop());
beforeEach(() => {
  kms.requests.length = 0;
  kms.denied.clear();
});

function keyring(keyId = "alias/agent-state", extra: Partial<Parameters<typeof kmsKeyring>[0]> = {}) {
  return kmsKeyring({ keyId, clientConfig: kms.clientConfig(), ...extra } as Parameters<
    typeof kmsKeyring
  >[0]);
}

describe("kmsKeyring against a local KMS endpoint (real @aws-sdk/client-kms)", () => {
  it("sends GenerateDataKey and Decrypt in KMS's JSON 1.1 shape, with no plaintext on the wire", async () => {
    const inner = new MemoryStateStore();
    const writer = withEncryption(inner, { keyring: keyring() });
    const { sessionId } = await writer.sessions.create({ state: { secret: MARKER } });
    await writer.sessions.append(sessionId, { role: "user", content: MARKER });
    expect(kms.requests).toHaveLength(1);
    const [generate] = kms.requests;
    expect(generate).toMatchObject({
      target: "TrentService.GenerateDataKey",
      contentType: "application/x-amz-json-1.1",
      body: {
        KeyId: "alias/agent-state",
        KeySpec: "AES_256",
        EncryptionContext: { "agent-state": "data-key" },
      },
    });
    expect(generate?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/kms\/aws4_request/,
    );

    // Another process (a fresh keyring) reads: one Decrypt for the one data key both values share.
    const reader = withEncryption(inner, { keyring: keyring() });
    const session = await reader.sessions.get(sessionId, { recentMessages: 5 });
    expect(session?.state).toEqual({ secret: MARKER });
    expect(session?.recentMessages?.map((m) => m.content)).toEqual([MARKER]);
    expect(kms.count("Decrypt")).toBe(1);
    const decrypt = kms.requests.find((r) => r.target === "TrentService.Decrypt");
    expect(Object.keys(decrypt?.body ?? {}).sort()).toEqual(["CiphertextBlob", "EncryptionContext", "KeyId"]);
    expect(decrypt?.body).toMatchObject({
      KeyId: "alias/agent-state",
      EncryptionContext: { "agent-state": "data-key" },
    });
    for (const request of kms.requests) expect(request.rawBody).not.toContain(MARKER);
  });

  it("a hot session does not call KMS per message: one GenerateDataKey per maxUses writes, one per maxAge", async () => {
    let now = 0;
    const store = withEncryption(new MemoryStateStore(), {
      keyring: keyring("alias/agent-state", { cache: { maxUses: 10, maxAgeSeconds: 60, now: () => now } }),
    });
    const { sessionId } = await store.sessions.create();
    for (let i = 0; i < 24; i++) await store.sessions.append(sessionId, { role: "user", content: `m${i}` });
    // 25 writes (create + 24 appends), 10 per data key.
    expect(kms.count("GenerateDataKey")).toBe(3);
    now += 61_000;
    await store.sessions.append(sessionId, { role: "user", content: "after a minute" });
    expect(kms.count("GenerateDataKey")).toBe(4);
    const concurrent = withEncryption(new MemoryStateStore(), { keyring: keyring() });
    await Promise.all(Array.from({ length: 20 }, () => concurrent.sessions.create()));
    expect(kms.count("GenerateDataKey")).toBe(5);
    expect(kms.count("Decrypt")).toBe(0);
  });

  it("rotation: new writes use the current key, old values stay readable while their key is listed", async () => {
    const inner = new MemoryStateStore();
    const before = withEncryption(inner, { keyring: keyring("alias/old") });
    await before.records.write("scope", [{ put: "a", value: MARKER }]);
    const rotated = withEncryption(inner, { keyring: keyring("alias/new", { readKeyIds: ["alias/old"] }) });
    expect((await rotated.records.get("scope", ["a"]))[0]?.value).toBe(MARKER);
    await rotated.records.write("scope", [{ put: "b", value: "new" }]);
    expect(
      kms.requests.filter((r) => r.target === "TrentService.GenerateDataKey").map((r) => r.body.KeyId),
    ).toEqual(["alias/old", "alias/new"]);
    const retired = withEncryption(inner, { keyring: keyring("alias/new") });
    const requestsBefore = kms.requests.length;
    const error = await retired.records.get("scope", ["a"]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DECRYPTION_FAILED" });
    expect(String((error as Error).message)).toContain("alias/old");
    expect(kms.requests.length).toBe(requestsBefore); // refused before asking KMS
    expect((await retired.records.get("scope", ["b"]))[0]?.value).toBe("new");
  });

  it("access denied on GenerateDataKey is UNAVAILABLE (reason access-denied) and writes nothing", async () => {
    kms.denied.add("GenerateDataKey");
    const inner = new MemoryStateStore();
    const store = withEncryption(inner, { keyring: keyring() });
    const error = await store.sessions
      .create({ sessionId: "s", state: { secret: MARKER } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "UNAVAILABLE",
      name: "KeyringUnavailableError",
      reason: "access-denied",
    });
    expect((error as Error).message).toMatch(/denied GenerateDataKey/);
    expect(JSON.stringify(error)).not.toContain(MARKER);
    expect((error as Error).message).not.toContain(MARKER);
    expect(await inner.sessions.get("s")).toBeNull();
  });

  it("access denied on Decrypt is UNAVAILABLE (access-denied) and returns nothing of the value", async () => {
    const inner = new MemoryStateStore();
    await withEncryption(inner, { keyring: keyring() }).preferences.set("u", "a", { secret: MARKER });
    kms.denied.add("Decrypt");
    const error = await withEncryption(inner, { keyring: keyring() })
      .preferences.get("u", "a")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAVAILABLE", reason: "access-denied" });
    expect((error as Error).message).not.toContain(MARKER);
  });

  it("a wrapped data key changed in storage is DECRYPTION_FAILED (KMS answers InvalidCiphertextException)", async () => {
    const inner = new MemoryStateStore();
    await withEncryption(inner, { keyring: keyring() }).toolCache.set("t", { q: 1 }, MARKER, {
      ttlSeconds: 60,
    });
    const stored = (await inner.toolCache.get<string>("t", { q: 1 }))?.value as string;
    const bytes = Buffer.from(stored.slice("ase1:".length), "base64url");
    const wrappedAt = 4 + 2 + bytes[5]! + 2; // magic, flags, key id length, key id, wrapped length
    bytes[wrappedAt + 20]! ^= 0x01;
    await inner.toolCache.set("t", { q: 1 }, `ase1:${bytes.toString("base64url")}`, { ttlSeconds: 60 });
    expect(await codeOf(withEncryption(inner, { keyring: keyring() }).toolCache.get("t", { q: 1 }))).toBe(
      "DECRYPTION_FAILED",
    );
    expect(kms.count("Decrypt")).toBe(1);
  });

  it("an unreachable endpoint is UNAVAILABLE (reason unreachable), not a hang", async () => {
    const port = await findFreePort();
    const store = withEncryption(new MemoryStateStore(), {
      keyring: kmsKeyring({
        keyId: "alias/agent-state",
        clientConfig: { ...kms.clientConfig(), endpoint: `http://127.0.0.1:${port}` },
      }),
    });
    const error = await store.sessions.create({ state: { secret: MARKER } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAVAILABLE", reason: "unreachable" });
    expect((error as Error).message).not.toContain(MARKER);
  });

  it("bad options are VALIDATION", () => {
    expect(() => kmsKeyring({ keyId: "" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() => kmsKeyring({ keyId: "k", cache: { maxUses: 0 } })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
  });
});
