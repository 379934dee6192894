// Where Mastra's data lives in agent-state records (every scope starts with the store's namespace):
//
//   <ns>/thread/<threadId>    "meta"                      the thread (or null) + per-thread counters
//                             "m/<createdAt>/<seq>"       one message; key order = Mastra's message order
//   <ns>/threads              <threadId>                  every thread (for listThreads without a resource)
//   <ns>/resource/<rid>       <threadId>                  the threads of a resource
//   <ns>/message-ids          <messageId>                 where a message is: { t: threadId, k: key }
//   <ns>/resources            <resourceId>                a resource (working memory, metadata)
//   <ns>/workflows            <len>:<workflowName>/<runId> a workflow run and its snapshot
//
// <createdAt> is the epoch-ms time zero-padded to 16 digits (so key order is time order); <seq> is a sortable
// id given when the message is first saved and kept by later saves and updates, so messages with the same
// createdAt keep their first-save order, as in Mastra's in-memory store.

export const META_KEY = "meta";
export const MESSAGE_PREFIX = "m/";
const TIME_DIGITS = 16;
const OFFSET_MS = 10 ** 15; // shifts times from 1938 BC-ish to 33658 AD into non-negative 16-digit numbers

export interface Layout {
  thread(threadId: string): string;
  readonly threads: string;
  resourceThreads(resourceId: string): string;
  readonly messageIds: string;
  readonly resources: string;
  readonly workflows: string;
}

export function layout(namespace: string): Layout {
  return {
    thread: (threadId) => `${namespace}/thread/${threadId}`,
    threads: `${namespace}/threads`,
    resourceThreads: (resourceId) => `${namespace}/resource/${resourceId}`,
    messageIds: `${namespace}/message-ids`,
    resources: `${namespace}/resources`,
    workflows: `${namespace}/workflows`,
  };
}

/** The sortable time part of a message key. */
export function timeKey(ms: number): string {
  const shifted = Math.min(
    Math.max(Math.round(Number.isFinite(ms) ? ms : 0) + OFFSET_MS, 0),
    10 ** TIME_DIGITS - 1,
  );
  return shifted.toString().padStart(TIME_DIGITS, "0");
}

export function messageKey(createdAtMs: number, seq: string): string {
  return `${MESSAGE_PREFIX}${timeKey(createdAtMs)}/${seq}`;
}

/** The seq part of a message key. */
export function seqOf(key: string): string {
  return key.slice(MESSAGE_PREFIX.length + TIME_DIGITS + 1);
}

export function workflowKey(workflowName: string, runId: string): string {
  return `${workflowName.length}:${workflowName}/${runId}`;
}
