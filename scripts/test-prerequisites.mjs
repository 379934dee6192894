#!/usr/bin/env node
// Runs before `pnpm test`: the tests start real servers (redis-server, DynamoDB Local on Java 17) and a real
// browser (Chromium, for the console). What is
// missing is installed with apt-get when this runs as root on Debian/Ubuntu (as .ci/run does); otherwise
// it stops with the exact command to run.
import { spawnSync } from "node:child_process";

const requiredNodeMajor = 22;
const nodeMajor = Number(process.versions.node.split(".")[0]);
if (nodeMajor < requiredNodeMajor) {
  process.stderr.write(
    `pnpm test needs Node ${requiredNodeMajor}+ (this is ${process.version}); the npm registry ships it:\n` +
      `  npm install -g node@${requiredNodeMajor}\n`,
  );
  process.exit(1);
}

const NEEDS = [
  {
    command: "redis-server",
    probe: ["--version"],
    apt: "redis-server",
    brew: "redis",
    forWhat: "the Redis tests",
  },
  {
    command: "java",
    probe: ["-version"],
    apt: "openjdk-17-jre-headless",
    brew: "openjdk@17",
    forWhat: "DynamoDB Local (the DynamoDB, DAX and server tests)",
  },
  {
    command: process.env.AGENT_STATE_CHROMIUM ?? "chromium",
    probe: ["--version"],
    apt: "chromium",
    brew: "chromium",
    forWhat: "the console's browser tests (headless Chromium; AGENT_STATE_CHROMIUM names another binary)",
  },
];

const found = (need) => spawnSync(need.command, need.probe, { stdio: "ignore" }).error === undefined;
const missing = NEEDS.filter((need) => !found(need));
if (missing.length > 0) {
  const canApt =
    process.platform === "linux" &&
    typeof process.getuid === "function" &&
    process.getuid() === 0 &&
    spawnSync("apt-get", ["--version"], { stdio: "ignore" }).error === undefined;
  if (canApt) {
    const packages = missing.map((need) => need.apt);
    process.stderr.write(`pnpm test: installing ${packages.join(", ")} (apt-get, running as root)\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    const install =
      update.status === 0
        ? spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env })
        : update;
    if (install.status !== 0) process.stderr.write("pnpm test: apt-get failed, see above\n");
  }
  const still = missing.filter((need) => !found(need));
  if (still.length > 0) {
    const lines = still.map((need) => `  - \`${need.command}\` for ${need.forWhat}`);
    process.stderr.write(
      `pnpm test needs programs that are not on PATH:\n${lines.join("\n")}\n` +
        `Install them, then run \`pnpm test\` again:\n` +
        `  Debian/Ubuntu: sudo apt-get install ${still.map((n) => n.apt).join(" ")}\n` +
        `  macOS:         brew install ${still.map((n) => n.brew).join(" ")}\n`,
    );
    process.exit(1);
  }
}
