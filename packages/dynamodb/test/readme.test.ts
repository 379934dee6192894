import { runMarkdownExample } from "@agent-state/core/testing";
import { expect, it } from "vitest";

it("the README's usage example runs (it starts and stops its own DynamoDB Local)", async () => {
  const { printed } = await runMarkdownExample(new URL("../README.md", import.meta.url), "## Usage");
  expect(printed).toContainEqual([["What is the capital of France?", "Paris."]]);
});
