import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../../scripts/test-prerequisites.mjs", import.meta.url));

describe("pnpm test's prerequisites step", () => {
  const bin = mkdtempSync(join(tmpdir(), "agent-state-path-"));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it("on a machine without redis-server, java, chromium or apt-get, says exactly what to install and fails", () => {
    symlinkSync(process.execPath, join(bin, "node"));
    const run = spawnSync(join(bin, "node"), [SCRIPT], { env: { PATH: bin }, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("`redis-server` for the Redis tests");
    expect(run.stderr).toContain("`chromium` for the console's browser tests");
    expect(run.stderr).toContain("sudo apt-get install redis-server openjdk-17-jre-headless chromium");
    expect(run.stderr).toContain("brew install redis openjdk@17 chromium");
  });

  it("passes when everything is there (this machine)", () => {
    expect(spawnSync(process.execPath, [SCRIPT], { encoding: "utf8" }).status).toBe(0);
  });
});
