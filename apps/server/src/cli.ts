#!/usr/bin/env node
import { ConfigError, parseCommand, USAGE } from "./config.js";
import { createJsonLogger } from "./logger.js";
import { startServer } from "./server.js";
import { runStdio } from "./stdio.js";
import { printCost } from "./telemetry/cost-command.js";

/** `agent-state serve …` / `agent-state mcp --stdio …`: see USAGE and the README. */
async function main(): Promise<void> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`agent-state: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (command.command === "help") {
    process.stdout.write(USAGE);
    return;
  }
  if (command.command === "cost") {
    process.exitCode = await printCost(command.config, process.env, process.stdout, process.stderr);
    return;
  }

  // stdout carries the protocol in stdio mode, so logs go to stderr there.
  const logger = createJsonLogger(command.stdio ? process.stderr : process.stdout);
  // Handlers go in before anything starts: a signal during start-up (while DynamoDB Local boots) must still
  // stop what was started instead of killing this process and orphaning the JVM.
  let stop: (() => Promise<void>) | undefined;
  let signalled = false;
  const shutdown = () => {
    if (!stop) return;
    stop().then(
      () => exitSoon(0),
      (error: unknown) => {
        logger.error("shutdown failed", { error });
        exitSoon(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info(`received ${signal}`);
    shutdown();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  try {
    if (command.stdio) {
      const running = await runStdio(command.config, logger);
      stop = running.stop;
      void running.done.then(() => exitSoon(0));
    } else {
      const running = await startServer(command.config, logger);
      stop = () => running.stop();
    }
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`, { error });
    exitSoon(1);
    return;
  }
  if (signalled) shutdown();
}

/** Exits with `code` once the event loop drains, or after a short grace if some handle lingers. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}

void main();
