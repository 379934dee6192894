import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";

it("the README's usage example runs (it starts and stops its own DynamoDB Local)", async () => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const start = readme.indexOf("## Usage");
  const example = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  expect(example).toBeDefined();
  const workDir = fileURLToPath(new URL("./.readme-run/", import.meta.url));
  mkdirSync(workDir, { recursive: true });
  const file = `${workDir}usage-example.ts`;
  writeFileSync(file, example ?? "");
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ file);
    expect(log).toHaveBeenCalledWith(["What is the capital of France?", "Paris."]);
  } finally {
    log.mockRestore();
    rmSync(workDir, { recursive: true, force: true });
  }
});
