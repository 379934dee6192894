import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { LIMITS } from "../src/limits.js";
import { runMarkdownExample } from "../src/testing/index.js";

const readmeUrl = new URL("../README.md", import.meta.url);
const readme = readFileSync(readmeUrl, "utf8");

it("the helpers example runs and logs what its comments say", async () => {
  const { code, printed, promised } = await runMarkdownExample(readmeUrl, "## Helpers");
  const quoted = [...code.matchAll(/\/\/ [^\n]*?: "([^"]+)"/g)].map((m) => [m[1]]);
  expect(quoted).toEqual([["miss"], ["hit #1"]]);
  expect(printed).toEqual([...quoted, promised]);
});

it("the limits table matches LIMITS", () => {
  const rows = new Map(
    [...readme.matchAll(/^\| `(\w+)` +\| (\d+) +\|/gm)].map((m) => [m[1] as string, Number(m[2])]),
  );
  expect(Object.fromEntries(rows)).toEqual({ ...LIMITS });
});

it("the errors table lists every code once", () => {
  const codes = [...readme.matchAll(/^\| `\w+Error` +\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
  expect(codes.sort()).toEqual([
    "ALREADY_EXISTS",
    "DECRYPTION_FAILED",
    "ITEM_TOO_LARGE",
    "NOT_FOUND",
    "THROTTLED",
    "UNAVAILABLE",
    "VALIDATION",
    "VERSION_CONFLICT",
  ]);
});
