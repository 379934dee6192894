import { runMarkdownExample } from "@agent-state/core/testing";
import { expect, it } from "vitest";

it("the root README's usage example runs and prints what it says it prints", async () => {
  const run = await runMarkdownExample(new URL("../README.md", import.meta.url), "## Usage");
  expect(run.promised).toBeDefined();
  expect(run.printed).toEqual([run.promised]);
});

it("the root README's records example runs and prints what it says it prints", async () => {
  const run = await runMarkdownExample(
    new URL("../README.md", import.meta.url),
    "## Records, truncation and safe retries",
  );
  expect(run.promised).toBeDefined();
  expect(run.printed).toEqual([run.promised]);
});
