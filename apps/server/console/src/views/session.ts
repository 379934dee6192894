import { api, apiPath, type Json, type Message, type Session } from "../api.js";
import { describeFailure, failureBox, heading, section, type ViewContext } from "../app.js";
import { confirmButton } from "../dialog.js";
import { append, consolePath, facts, formatTime, h, relative, replace, storedText } from "../dom.js";
import { jsonView } from "../json-view.js";

const PAGE = 50;
/** Metadata keys shown as the message's tool calls rather than folded with the rest. */
const TOOL_KEYS = ["toolCalls", "tool_calls", "toolCallId", "tool_call_id", "toolName", "tool"];

/**
 * `/console/sessions/<sessionId>`: the session's facts and state, its conversation as a timeline (a page at a
 * time), and two actions with a confirmation each: truncate after a message, delete the session.
 */
export async function sessionView(ctx: ViewContext): Promise<void> {
  const { main, params } = ctx;
  const sessionId = params[0] ?? "";
  const body = h("div");
  append(main, heading("Session ", storedText(sessionId, "id")), body);
  await section(body, async () => {
    const session = await api.get<Session>(apiPath(["sessions", sessionId]));
    const timeline = h("ol", { class: "timeline", attrs: { "aria-label": "Conversation" } });
    const more = h("div", { class: "more" });
    const conversation = h(
      "section",
      { attrs: { "aria-labelledby": "conversation-title" } },
      h(
        "h2",
        { id: "conversation-title" },
        `Conversation (${session.messageCount.toLocaleString("en")} messages)`,
      ),
      timeline,
      more,
    );
    void loadMessages(ctx, session, timeline, more, null);
    return [
      facts([
        [
          "User",
          session.userId === null
            ? "—"
            : h("a", { href: consolePath("users", session.userId) }, storedText(session.userId, "id")),
        ],
        [
          "Agent",
          session.agentId === null
            ? "—"
            : session.userId === null
              ? storedText(session.agentId, "id")
              : h(
                  "a",
                  {
                    href: consolePath("users", session.userId, "preferences", session.agentId),
                    title: "This agent's preferences for the user",
                  },
                  storedText(session.agentId, "id"),
                ),
        ],
        ["Version", String(session.version)],
        ["Messages", session.messageCount.toLocaleString("en")],
        ["Created", formatTime(session.createdAt)],
        ["Last active", formatTime(session.lastActiveAt)],
        ["Expires", `${formatTime(session.expiresAt)} (${relative(session.expiresAt)})`],
        ["Last tool call", session.lastToolCall === null ? "—" : storedText(session.lastToolCall)],
        ["Region", session.lastActiveRegion ?? "—"],
      ]),
      h("div", { class: "actions" }, deleteButton(ctx, session)),
      h(
        "section",
        { attrs: { "aria-labelledby": "state-title" } },
        h("h2", { id: "state-title" }, "State"),
        jsonView(session.state, { label: "Session state" }),
      ),
      conversation,
    ];
  });
}

async function loadMessages(
  ctx: ViewContext,
  session: Session,
  timeline: HTMLOListElement,
  more: HTMLElement,
  cursor: string | null,
): Promise<void> {
  replace(more, h("p", { class: "muted" }, "Loading messages…"));
  try {
    const page = await api.get<{ messages: Message[]; cursor: string | null }>(
      apiPath(["sessions", session.sessionId, "conversation"], { limit: String(PAGE), order: "asc", cursor }),
    );
    for (const message of page.messages) timeline.appendChild(messageItem(ctx, session, message));
    replace(
      more,
      page.cursor === null
        ? timeline.childElementCount === 0
          ? h("p", { class: "muted" }, "No messages.")
          : null
        : h(
            "button",
            {
              type: "button",
              on: { click: () => void loadMessages(ctx, session, timeline, more, page.cursor) },
            },
            "Load more messages",
          ),
    );
  } catch (error) {
    replace(more, failureBox(error));
  }
}

function messageItem(ctx: ViewContext, session: Session, m: Message): HTMLLIElement {
  const metadata = m.metadata ?? {};
  const toolPart: Record<string, Json> = {};
  const rest: Record<string, Json> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (TOOL_KEYS.includes(key)) toolPart[key] = value;
    else rest[key] = value;
  }
  const truncate = confirmButton({
    label: "Truncate after this",
    class: "small",
    confirm: () => ({
      title: "Remove every message after this one?",
      body: h(
        "p",
        {},
        "The messages after this one are removed from the session for good. This message stays.",
      ),
      confirmLabel: "Remove later messages",
      danger: true,
    }),
    run: async () => {
      try {
        const result = await api.del<{ removed: number }>(
          apiPath(["sessions", session.sessionId, "messages"], { after: m.id }),
        );
        ctx.navigate(location.pathname + location.search, { replace: true });
        ctx.announce(`Removed ${result.removed} message${result.removed === 1 ? "" : "s"}.`);
      } catch (error) {
        ctx.announce(describeFailure(error));
      }
    },
  });
  return h(
    "li",
    {
      class: `message role-${/^[a-z]+$/.test(m.role) ? m.role : "other"}`,
      attrs: { "data-message-id": m.id },
    },
    h(
      "div",
      { class: "message-head" },
      h("span", { class: "role" }, m.role),
      h("time", {}, formatTime(m.timestamp)),
      h("span", { class: "muted id" }, m.id),
      truncate,
    ),
    h("div", { class: "content" }, storedText(m.content)),
    Object.keys(toolPart).length === 0
      ? null
      : h(
          "div",
          { class: "tool-calls" },
          h("div", { class: "label" }, "Tool call"),
          jsonView(toolPart, { openDepth: 3 }),
        ),
    Object.keys(rest).length === 0
      ? null
      : h("details", { class: "metadata" }, h("summary", {}, "Metadata"), jsonView(rest)),
  );
}

function deleteButton(ctx: ViewContext, session: Session): HTMLButtonElement {
  return confirmButton({
    label: "Delete session",
    class: "danger",
    confirm: () => ({
      title: "Delete this session?",
      body: h(
        "p",
        {},
        "The session, its state and all ",
        session.messageCount.toLocaleString("en"),
        " messages are deleted for good.",
      ),
      confirmLabel: "Delete session",
      danger: true,
    }),
    run: async () => {
      try {
        await api.del(apiPath(["sessions", session.sessionId]));
        ctx.navigate(session.userId === null ? "/console" : consolePath("users", session.userId));
        ctx.announce("The session was deleted.");
      } catch (error) {
        ctx.announce(describeFailure(error));
      }
    },
  });
}
