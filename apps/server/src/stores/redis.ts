import { RedisStateStore } from "@agent-state/redis";
import type { ServerConfig } from "../config.js";
import type { OpenedStore } from "./open-store.js";

/** ioredis options from a `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS) URL. */
export function redisOptionsFromUrl(url: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`AGENT_STATE_REDIS_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new Error("AGENT_STATE_REDIS_URL must start with redis:// or rediss://");
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new Error("AGENT_STATE_REDIS_URL: the path must be a database number");
  return {
    host: parsed.hostname || "127.0.0.1",
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username === "" ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === "" ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/** Redis at AGENT_STATE_REDIS_URL (default redis://127.0.0.1:6379), keys prefixed `agent-state:`. */
export async function openRedisStore(config: ServerConfig): Promise<OpenedStore> {
  const url = config.redisUrl ?? "redis://127.0.0.1:6379";
  const store = new RedisStateStore({ redisOptions: redisOptionsFromUrl(url), keyPrefix: "agent-state:" });
  const shown = new URL(url);
  shown.password = shown.password === "" ? "" : "***";
  return {
    store,
    kind: "redis",
    description: `Redis at ${shown.toString()}`,
    close: () => closeWithin(store.close(), CLOSE_TIMEOUT_MS),
  };
}

/** How long shutdown waits for Redis to acknowledge QUIT (it never does while the server is unreachable). */
const CLOSE_TIMEOUT_MS = 3_000;

/** Resolves when `closing` does or after `ms`, whichever is first: a dead backend must not hang shutdown. */
function closeWithin(closing: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([closing, timeout]).finally(() => clearTimeout(timer));
}
