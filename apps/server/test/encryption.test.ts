import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EncryptedStateStore } from "@agent-state/encryption";
import { afterAll, describe, expect, it } from "vitest";
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
});
