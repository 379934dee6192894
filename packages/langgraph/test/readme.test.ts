import { runMarkdownExample } from "@agent-state/core/testing";
import { expect, it } from "vitest";

it("the README's quick start runs and prints what it promises", async () => {
  const run = await runMarkdownExample(new URL("../README.md", import.meta.url), "## Quick start");
  expect(run.code.trim().split("\n").length).toBeLessThanOrEqual(8);
  expect(run.printed).toEqual([run.promised]);
});
