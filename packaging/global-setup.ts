import { execFileSync } from "node:child_process";
import { publicPackages, repoRoot } from "../scripts/public-packages.mjs";

/**
 * Builds every published package before any test of the run starts (global setups run first), so the build
 * never rewrites a `dist` another project's test is running from. Turbo skips what did not change.
 */
export default function setup(): void {
  execFileSync(
    "pnpm",
    [
      "exec",
      "turbo",
      "run",
      "build",
      "--output-logs=errors-only",
      ...publicPackages().map((pkg) => `--filter=${pkg.name}`),
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    },
  );
}
