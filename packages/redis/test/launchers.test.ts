import { startRedisServer } from "@agent-state/redis/testing";
import { describe, expect, it } from "vitest";

describe("redis test launchers", () => {
  it("without redis-server on PATH, fail with how to install it (never skip)", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(startRedisServer()).rejects.toThrow(/apt-get install -y redis-server/);
    } finally {
      process.env.PATH = path;
    }
  });

  it("a started server answers, stops by pid and starts again on the same port", async () => {
    const server = await startRedisServer();
    try {
      const firstPid = server.pid;
      expect(firstPid).toBeGreaterThan(0);
      await server.stop();
      expect(() => process.kill(firstPid, 0)).toThrow();
      await server.start();
      expect(server.pid).not.toBe(firstPid);
    } finally {
      await server.destroy();
    }
  });
});
