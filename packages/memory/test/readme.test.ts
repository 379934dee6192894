import { runMarkdownExample } from "@agent-state/core/testing";

// The README's example is real vitest code: importing it here, while this file's tests are being collected,
// registers its tests, so they run (and fail) like any other test in this package.
await runMarkdownExample(new URL("../README.md", import.meta.url), "## As a test double");
