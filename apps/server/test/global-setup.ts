import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Builds the `agent-state` bin and every workspace package it imports (they resolve to their dist at run
 * time), so the stdio and restart tests run what `pnpm start` runs. Turbo skips packages whose inputs did not
 * change since the last build.
 */
export default function setup(): void {
  // For quick local iterations on in-process tests only; `pnpm test` always builds.
  if (process.env.AGENT_STATE_SKIP_BUILD === "1") return;
  execFileSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--filter=agent-state...", "--output-logs=errors-only"],
    {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    },
  );
}
