import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));

describe("importing @agent-state/dax", () => {
  it("loads no DAX SDK and leaves process 'warning' listeners alone (checked in a fresh process)", () => {
    const script = `
      const listener = () => {};
      process.on("warning", listener);
      await import(${JSON.stringify(entry)});
      const { createRequire } = await import("node:module");
      const loaded = Object.keys(createRequire(${JSON.stringify(entry)}).cache).filter((p) => p.includes("amazon-dax-sdk"));
      console.log(JSON.stringify({ kept: process.listeners("warning").includes(listener), loaded }));
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({ kept: true, loaded: [] });
  });
});
