import type { Json } from "@agent-state/core";
import { HttpError } from "./respond.js";
import { jsonObject, optionalLimit, type Route, SEGMENT } from "./route-kit.js";

// LangGraph threads that `AgentStateSaver` (default options) keeps in the store's records: read through
// `ThreadInspector` from @agent-state/langgraph, which knows the saver's layout.

const THREAD_ID_MAX = 1024;

export const THREAD_ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/state\/threads$/,
    handler: async ({ threads, maxPageSize }, _params, query) => {
      const cursor = query.get("cursor");
      const page = await threads().threads({
        limit: optionalLimit(query, "limit", maxPageSize) ?? maxPageSize,
        ...(cursor === null ? {} : { cursor }),
      });
      return { body: { threads: page.items, cursor: page.cursor } };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/threads/${SEGMENT}/checkpoints$`),
    handler: async ({ threads, maxPageSize }, [id], query) => {
      const threadId = threadIdOf(id);
      const cursor = query.get("cursor");
      const page = await threads().checkpoints(threadId, {
        limit: optionalLimit(query, "limit", maxPageSize) ?? maxPageSize,
        ...(cursor === null ? {} : { cursor }),
      });
      return { body: { threadId, checkpoints: page.items, cursor: page.cursor } };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^/state/threads/${SEGMENT}/checkpoints/${SEGMENT}$`),
    handler: async ({ threads }, [id, checkpointId], query) => {
      const detail = await threads().checkpoint(threadIdOf(id), checkpointId ?? "", query.get("ns") ?? "");
      if (!detail) throw new HttpError("NOT_FOUND", "no such checkpoint in this thread");
      return { body: detail };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`^/state/threads/${SEGMENT}/checkpoints/${SEGMENT}/fork$`),
    handler: async ({ threads }, [id, checkpointId], query, body) => {
      const { values } = jsonObject((await body()) ?? {}, "body") as { values?: unknown };
      const forked = await threads().fork(threadIdOf(id), checkpointId ?? "", {
        ns: query.get("ns") ?? "",
        ...(values === undefined ? {} : { values: jsonObject(values, "values") as Record<string, Json> }),
      });
      if (!forked) throw new HttpError("NOT_FOUND", "no such checkpoint in this thread");
      return { status: 201, body: { threadId: threadIdOf(id), ...forked } };
    },
  },
];

function threadIdOf(id: string | undefined): string {
  if (id === undefined || id.length === 0 || id.length > THREAD_ID_MAX)
    throw new HttpError("VALIDATION", `threadId: 1–${THREAD_ID_MAX} characters`);
  return id;
}
