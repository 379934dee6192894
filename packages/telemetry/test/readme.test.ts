import { runMarkdownExample } from "@agent-state/core/testing";
import { expect, it } from "vitest";

it("the README's usage example runs and prints what it promises", async () => {
  const run = await runMarkdownExample(new URL("../README.md", import.meta.url), "## Usage");
  expect(run.printed.flat()).toEqual(run.promised);
});
