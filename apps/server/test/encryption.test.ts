import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EncryptedStateStore } from "@agent-state/encryption";
import { afterAll, describe, expect, it } from "vitest";
// The local KMS endpoint of @agent-state/encryption's tests (records requests; real AES-GCM wrapping).
import { KmsDouble } from "../../../packages/encryption/test/support/kms-double.js";
import { ConfigError, parseCommand } from "../src/index.js";
import { ALICE_TOKEN, call, connectMcp, startTestServer } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "agent-state-encryption-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(text: string): string {
  const file = join(dir, `key-${randomBytes(4).toString("hex")}`);
  writeFileSync(file, text);
  return file;
}

describe("--encryption-key-file / --kms-key-id", () => {
  it("is off by default; a flag or AGENT_STATE_ENCRYPTION_KEY_FILE turns it on; not both kinds at once", () => {
    expect(parseCommand(["serve"], {}).config.encryption).toEqual({
      keyFile: undefined,
      kmsKeyId: undefined,
    });
    expect(parseCommand(["serve", "--encryption-key-file", "/k"], {}).config.encryption.keyFile).toBe("/k");
    expect(parseCommand(["serve"], { AGENT_STATE_KMS_KEY_ID: "alias/a" }).config.encryption.kmsKeyId).toBe(
      "alias/a",
    );
    expect(() =>
      parseCommand(["serve", "--encryption-key-file", "/k", "--kms-key-id", "alias/a"], {}),
    ).toThrow(ConfigError);
  });

  it("a bad key file is a ConfigError that never echoes the key", async () => {
    const secretish = "not-a-key-but-private";
    const file = keyFile(`main:${secretish}\n`);
    const error = await startTestServer({ encryption: { keyFile: file, kmsKeyId: undefined } }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("line 1");
    expect((error as Error).message).not.toContain(secretish);
  });

  it("serves MCP on an encrypted store: what the store underneath holds is ciphertext", async () => {
    const marker = `secret-${randomBytes(4).toString("hex")}`;
    const file = keyFile(
      `# rotation: first line is current\nnew:${randomBytes(32).toString("base64")}\nold:${randomBytes(32).toString("hex")}\n`,
    );
    const server = await startTestServer({ encryption: { keyFile: file, kmsKeyId: undefined } });
    try {
      expect(server.opened.description).toContain("encrypted (key new)");
      const client = await connectMcp(server.url, ALICE_TOKEN);
      try {
        const created = await call(client, "session_create", { state: { note: marker } });
        const { sessionId } = created.session as { sessionId: string };
        await call(client, "messages_append", { sessionId, messages: [{ role: "user", content: marker }] });
        const listed = await call(client, "messages_list", { sessionId });
        expect(JSON.stringify(listed)).toContain(marker);
      } finally {
        await client.close();
      }
      const inner = (server.opened.store as EncryptedStateStore).innerStore;
      const [session] = (await inner.sessions.listByUser("alice")).items;
      expect(JSON.stringify(session?.state)).not.toContain(marker);
      const messages = await inner.sessions.messages(session!.sessionId);
      expect(JSON.stringify(messages)).not.toContain(marker);
    } finally {
      await server.stop();
    }
  });

  it("--kms-key-id: data keys come from KMS (endpoint from AWS_ENDPOINT_URL_KMS), one call for a whole turn", async () => {
    const kms = await new KmsDouble().start();
    const env = {
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDLOCAL",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    const marker = `secret-${randomBytes(4).toString("hex")}`;
    const server = await startTestServer({ encryption: { keyFile: undefined, kmsKeyId: "alias/server" } });
    try {
      expect(server.opened.description).toContain("encrypted (key alias/server)");
      const client = await connectMcp(server.url, ALICE_TOKEN);
      try {
        const created = await call(client, "session_create", { state: { note: marker } });
        const { sessionId } = created.session as { sessionId: string };
        await call(client, "messages_append", { sessionId, messages: [{ role: "user", content: marker }] });
        expect(JSON.stringify(await call(client, "messages_list", { sessionId }))).toContain(marker);
      } finally {
        await client.close();
      }
      expect(kms.count("GenerateDataKey")).toBe(1);
      expect(kms.requests[0]?.body).toMatchObject({ KeyId: "alias/server", KeySpec: "AES_256" });
      for (const request of kms.requests) expect(request.rawBody).not.toContain(marker);
    } finally {
      await server.stop();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await kms.stop();
    }
  });
});
