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

/** Opens a TCP connection to the server and resolves once connected; it sends `initial` (maybe nothing). */
function idleConnection(port: number, initial = ""): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    socket.once("connect", () => {
      if (initial !== "") socket.write(initial);
      resolve(socket);
    });
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
}

describe("idle connections", () => {
  let server: RunningServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // The default per-client cap (128) and request deadline (10 s): the probe's setting.
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server?.stop();
  });

  it("130 idle connections from one address (silent, or half a request line) do not lock out real requests", async () => {
    for (let i = 0; i < 130; i++) {
      sockets.push(await idleConnection(server.port, i % 2 === 0 ? "" : "GET /heal"));
    }
    // Each real request arrives while the address holds its cap of idle connections: one idle is closed for it.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/healthz`, { headers: { connection: "close" } });
      expect(res.status).toBe(200);
      sockets.push(await idleConnection(server.port));
    }
    const stillOpen = sockets.filter((s) => !s.destroyed && s.readyState === "open").length;
    expect(stillOpen).toBeLessThanOrEqual(128);
  });

  it("busy connections are never closed for a newcomer: over the cap of busy ones, the newcomer is refused", async () => {
    const busyServer = await startTestServer({ maxConnectionsPerClient: 3 });
    const busy: Socket[] = [];
    try {
      // Three requests in progress (headers sent, body still to come).
      for (let i = 0; i < 3; i++) {
        busy.push(
          await idleConnection(
            busyServer.port,
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
          ),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const refused = await fetch(`${busyServer.url}/healthz`).then(
        () => false,
        () => true,
      );
      expect(refused).toBe(true);
      expect(busy.every((s) => !s.destroyed)).toBe(true);
    } finally {
      for (const socket of busy) socket.destroy();
      await busyServer.stop(0);
    }
  });
});
