import { serveStdio } from "@modelcontextprotocol/server/stdio";
import type { ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { createAgentStateMcpServerFactory } from "./mcp/create-mcp-server.js";
import { openStore } from "./stores/open-store.js";

/**
 * Serves MCP over this process's stdin/stdout for desktop clients, as the local user, until stdin ends or
 * `stop` is called; then closes the store (and the embedded DynamoDB Local). Logs go to `logger` (stderr).
 */
export async function runStdio(
  config: ServerConfig,
  logger: Logger,
): Promise<{ done: Promise<void>; stop(): Promise<void> }> {
  const opened = await openStore(config, logger);
  const serverFor = createAgentStateMcpServerFactory(opened.store, {
    maxPageSize: config.maxPageSize,
    logger,
  });
  const handle = serveStdio(() => serverFor(config.localUserId), {
    onerror: (error) => logger.warn("mcp error", { error }),
  });
  logger.info(
    `agent-state MCP on stdio as user "${config.localUserId}"; store: ${opened.kind}, ${opened.description}`,
    {
      event: "ready",
      store: opened.kind,
    },
  );

  let stopping: Promise<void> | undefined;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const stop = () => {
    stopping ??= (async () => {
      await handle.close();
      await opened.close();
      logger.info("stopped");
      finished();
    })();
    return stopping;
  };
  process.stdin.once("end", () => void stop());
  process.stdin.once("close", () => void stop());
  return { done, stop };
}
