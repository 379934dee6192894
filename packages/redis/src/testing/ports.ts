import { createServer } from "node:net";

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A port that is free on `host` now, with `port + 10000` free too (Redis Cluster's bus port), picked at
 * random from 20000–45000 so parallel test runs rarely try the same one.
 */
export async function findFreePort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 25000);
    if ((await canBind(port, host)) && (await canBind(port + 10000, host))) return port;
  }
  throw new Error("no free port found for redis-server");
}
