#!/usr/bin/env node
import { ConfigError, parseCommand, USAGE } from "./config.js";
import { createJsonLogger } from "./logger.js";
import { startServer } from "./server.js";
import { runStdio } from "./stdio.js";

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

  // stdout carries the protocol in stdio mode, so logs go to stderr there.
  const logger = createJsonLogger(command.stdio ? process.stderr : process.stdout);
  let stop: () => Promise<void>;
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
    process.exitCode = 1;
    return;
  }

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`received ${signal}`);
    stop().then(
      () => exitSoon(0),
      (error: unknown) => {
        logger.error("shutdown failed", { error });
        exitSoon(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

/** Exits with `code` once the event loop drains, or after a short grace if some handle lingers. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}

void main();
