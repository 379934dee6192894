import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/index.js";
import { startTestServer } from "./helpers.js";

const SLOW_CONNECTIONS = 40;
const PER_CLIENT = 10;

/**
 * Opens a connection that sends MCP request headers announcing a body, then trickles one byte every
 * 100 ms. Resolves with how it ended: "refused" when the server closed it before any answer, "timed-out"
 * when the server answered 408 or cut it after the request deadline, "still-open" if the trickle ran out.
 */
function slowBody(port: number): Promise<"refused" | "timed-out" | "still-open"> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: "127.0.0.1", port });
    let answer = "";
    let sent = 0;
    let trickle: NodeJS.Timeout | undefined;
    socket.once("connect", () => {
      socket.write(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
          "accept: application/json, text/event-stream\r\ncontent-length: 1000\r\n\r\n",
      );
      // Bounded: 150 bytes at most, then the client gives up on its own.
      trickle = setInterval(() => {
        if (sent++ >= 150) {
          clearInterval(trickle);
          socket.destroy();
          resolve("still-open");
          return;
        }
        socket.write("{");
      }, 100);
    });
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.once("close", () => {
      clearInterval(trickle);
      resolve(sent === 0 && answer === "" ? "refused" : "timed-out");
    });
  });
}

describe("slow clients", () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer({ requestTimeoutMs: 1_000, maxConnectionsPerClient: PER_CLIENT });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("cuts bodies trickling past the request deadline and caps connections per client", async () => {
    const outcomes = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => slowBody(server.port)));
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    // At most PER_CLIENT connections were let in; the rest were closed at once.
    expect(count("refused")).toBeGreaterThanOrEqual(SLOW_CONNECTIONS - PER_CLIENT);
    // Every one let in was cut by the server's deadline; none could trickle to the end.
    expect(count("still-open")).toBe(0);
    expect(count("timed-out") + count("refused")).toBe(SLOW_CONNECTIONS);
    // The slots are free again: a normal request is served.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
