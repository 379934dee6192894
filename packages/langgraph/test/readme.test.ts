import { runMarkdownExample } from "@agent-state/core/testing";
import { expect, it } from "vitest";

it("the README's quick start runs and prints what it promises", async () => {
  const run = await runMarkdownExample(new URL("../README.md", import.meta.url), "## Quick start");
  const code = run.code.split("\n").filter((line) => line.trim() && !/^(import |\/\/)/.test(line.trim()));
  expect(code.length).toBeLessThanOrEqual(8); // short enough to read at a glance
  expect(run.printed).toEqual([run.promised]);
});
