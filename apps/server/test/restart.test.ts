import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BinProcess, isAlive, runBin } from "./bin.js";
import { call, connectMcp } from "./helpers.js";

const ADMIN_TOKEN = "restart-admin-token-0123456789";

/** Starts `agent-state serve` on the embedded store in `dataDir` and waits for its ready line. */
async function serve(dataDir: string): Promise<{ bin: BinProcess; url: string; dynamoPid: number }> {
  const bin = runBin(["serve", "--port", "0", "--data-dir", dataDir], {
    AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN,
    PORT: "",
  });
  const ready = await bin.waitForLog((line) => line.event === "ready");
  const started = await bin.waitForLog((line) => line.msg === "started DynamoDB Local");
  return { bin, url: ready.url as string, dynamoPid: started.pid as number };
}

/** SIGTERM, then the exit code; also checks that DynamoDB Local was stopped. */
async function terminate(server: { bin: BinProcess; dynamoPid: number }): Promise<number | null> {
  server.bin.child.kill("SIGTERM");
  const code = await server.bin.exited;
  expect(isAlive(server.dynamoPid)).toBe(false);
  return code;
}

describe("agent-state serve on the embedded store (the built bin)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "agent-state-restart-"));
  const started: BinProcess[] = [];

  afterAll(() => {
    for (const bin of started) if (bin.child.exitCode === null) bin.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps sessions across a SIGTERM and a restart on the same data directory", async () => {
    const first = await serve(dataDir);
    started.push(first.bin);
    expect(
      first.bin.logs.some((line) => typeof line.msg === "string" && line.msg.includes("127.0.0.1 only")),
    ).toBe(true);

    const client = await connectMcp(first.url);
    const { session } = (await call(client, "session_create", {
      sessionId: "survivor",
      state: { draft: "v1" },
    })) as {
      session: { userId: string };
    };
    expect(session.userId).toBe("local");
    await call(client, "messages_append", {
      sessionId: "survivor",
      messages: [{ role: "user", content: "remember me" }],
    });
    await call(client, "word_count", { sessionId: "survivor", text: "persist this please" });
    await client.close();

    expect(await terminate(first)).toBe(0);
    expect(first.bin.logs.some((line) => line.msg === "stopped")).toBe(true);
    // Structured logs: every stdout line is one JSON object with time, level and msg.
    for (const line of first.bin.logs)
      expect(line).toMatchObject({
        time: expect.any(String),
        level: expect.any(String),
        msg: expect.any(String),
      });

    const second = await serve(dataDir);
    started.push(second.bin);
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    // The local user's MCP ids live in their own id space: "survivor" is stored as "5:local:survivor".
    const res = await fetch(`${second.url}/state/sessions/5%3Alocal%3Asurvivor`, { headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sessionId: "5:local:survivor",
      userId: "local",
      messageCount: 3,
      lastToolCall: "word_count",
      state: { draft: "v1", wordCounts: 1, lastWordCount: { words: 3 } },
    });
    const conversation = await fetch(`${second.url}/state/sessions/5%3Alocal%3Asurvivor/conversation`, {
      headers,
    });
    const body = (await conversation.json()) as { messages: { role: string; content: string }[] };
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(body.messages[0]?.content).toBe("remember me");

    // The cached word count survived too: the same text is now a hit.
    const again = await connectMcp(second.url);
    expect(
      await call(again, "word_count", { sessionId: "survivor", text: "persist this please" }),
    ).toMatchObject({
      cached: true,
      hitCount: 1,
    });
    await again.close();
    expect(await terminate(second)).toBe(0);
  }, 420_000); // two JVM and Node start-ups on a shared 2-core machine

  it("stops DynamoDB Local when SIGTERM arrives during start-up", async () => {
    const bin = runBin(["serve", "--port", "0", "--data-dir", join(dataDir, "early")], {
      AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    started.push(bin);
    const jvm = await bin.waitForLog((line) => line.msg === "started DynamoDB Local");
    bin.child.kill("SIGTERM");
    expect(await bin.exited).toBe(0);
    expect(isAlive(jvm.pid as number)).toBe(false);
  }, 240_000);

  it("without Java, fails with a message saying how to install it or to use --store memory", async () => {
    const bin = runBin(["serve", "--port", "0", "--data-dir", join(dataDir, "nojava")], {
      PATH: "/nonexistent",
    });
    started.push(bin);
    const failure = await bin.waitForLog((line) => line.level === "error");
    expect(failure.msg).toMatch(/failed to start: .*Java.*--store memory/s);
    expect(await bin.exited).toBe(1);
  }, 60_000);
});
