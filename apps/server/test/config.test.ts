import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseCommand } from "../src/index.js";

describe("command line and environment", () => {
  it("defaults to the embedded store on port 3000, loopback only, data in ./.agent-state of INIT_CWD", () => {
    const { command, config } = parseCommand(["serve"], { INIT_CWD: "/somewhere" });
    expect(command).toBe("serve");
    expect(config).toMatchObject({
      store: "embedded",
      port: 3000,
      host: "127.0.0.1",
      dataDir: "/somewhere/.agent-state",
    });
    expect(config.adminToken).toBeUndefined();
  });

  it("serves when no command is given (`npx agent-state`, `npx agent-state --store memory`); --help prints usage", () => {
    expect(parseCommand([], {}).command).toBe("serve");
    expect(parseCommand(["--store", "memory"], {})).toMatchObject({
      command: "serve",
      config: { store: "memory" },
    });
    expect(parseCommand(["--help"], {}).command).toBe("help");
    expect(parseCommand(["help"], {}).command).toBe("help");
  });

  it("lets flags win over the environment, and accepts the -- separator pnpm passes along", () => {
    const { config } = parseCommand(["serve", "--", "--store", "memory", "--port", "0", "--data-dir", "/d"], {
      AGENT_STATE_STORE: "redis",
      PORT: "4000",
      AGENT_STATE_DATA_DIR: "/e",
    });
    expect(config).toMatchObject({ store: "memory", port: 0, dataDir: "/d" });
    expect(parseCommand(["serve"], { AGENT_STATE_STORE: "redis", PORT: "4000" }).config).toMatchObject({
      store: "redis",
      port: 4000,
    });
  });

  it("binds other interfaces only when MCP tokens are configured (env pairs or a file)", () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-state-config-"));
    const file = join(dir, "tokens.json");
    writeFileSync(file, JSON.stringify({ tokens: [{ token: "file-token-0123456789", userId: "bob" }] }));
    let config: ReturnType<typeof parseCommand>["config"];
    try {
      config = parseCommand(["serve", "--host", "0.0.0.0"], {
        AGENT_STATE_MCP_TOKENS: "alice:env-token-0123456789, team:ops:ops-token-0123456789",
        AGENT_STATE_MCP_TOKENS_FILE: file,
      }).config;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(config.host).toBe("0.0.0.0");
    expect([...config.mcpTokens]).toEqual([
      ["env-token-0123456789", "alice"],
      ["ops-token-0123456789", "team:ops"],
      ["file-token-0123456789", "bob"],
    ]);
    expect(parseCommand(["serve", "--host", "0.0.0.0"], {}).config.host).toBe("127.0.0.1");
  });

  it("rejects bad input with a ConfigError", () => {
    expect(() => parseCommand(["serve", "--store", "sqlite"], {})).toThrow(ConfigError);
    expect(() => parseCommand(["serve", "--port", "99999"], {})).toThrow(ConfigError);
    expect(() => parseCommand(["serve", "--bogus"], {})).toThrow(ConfigError);
    expect(() => parseCommand(["mcp"], {})).toThrow(/--stdio/);
    expect(() => parseCommand(["launch"], {})).toThrow(ConfigError);
    expect(() => parseCommand(["serve"], { AGENT_STATE_MCP_TOKENS: "alice:short" })).toThrow(/16 characters/);
    expect(() => parseCommand(["serve"], { AGENT_STATE_MCP_TOKENS: "no-colon-token-0123456789" })).toThrow(
      ConfigError,
    );
  });
});
