import type { Writable } from "node:stream";
import { type CostReport, formatCostReport } from "@agent-state/telemetry";
import type { ServerConfig } from "../config.js";

/**
 * `agent-state cost`: asks the server on this machine (`--port` / `PORT`, default 3000) for `GET /state/cost`
 * with `AGENT_STATE_ADMIN_TOKEN` and prints the report as a table. Returns the exit code.
 */
export async function printCost(
  config: Pick<ServerConfig, "port">,
  env: NodeJS.ProcessEnv,
  out: Writable,
  err: Writable,
): Promise<number> {
  const token = env.AGENT_STATE_ADMIN_TOKEN;
  if (token === undefined || token === "") {
    err.write("agent-state cost: set AGENT_STATE_ADMIN_TOKEN to the server's admin token\n");
    return 2;
  }
  const url = `http://127.0.0.1:${config.port}/state/cost`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    err.write(
      `agent-state cost: no server answered at ${url} (${error instanceof Error ? error.message : String(error)})\n`,
    );
    return 1;
  }
  if (!response.ok) {
    err.write(`agent-state cost: ${url} answered ${response.status}: ${await response.text()}\n`);
    return 1;
  }
  out.write(`${formatCostReport((await response.json()) as CostReport)}\n`);
  return 0;
}
