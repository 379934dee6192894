import { api, apiPath, type Session } from "../api.js";
import { failureBox, heading, type ViewContext } from "../app.js";
import { append, consolePath, formatTime, h, relative, replace, storedText } from "../dom.js";

const PAGE = 50;

/** `/console/users/<userId>`: the user's sessions, newest activity first, a page at a time; their agents' preferences. */
export async function userView({ main, params, navigate }: ViewContext): Promise<void> {
  const userId = params[0] ?? "";
  const tbody = h("tbody");
  const table = h(
    "table",
    {},
    h("caption", {}, "Sessions, most recently active first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Session", "Agent", "Messages", "Version", "Last active", "Expires"].map((c) =>
          h("th", { scope: "col" }, c),
        ),
      ),
    ),
    tbody,
  );
  const more = h("div", { class: "more" });
  const agents = h("ul", { class: "inline-list" });
  const sessions: Session[] = [];
  const prefsInput = h("input", { id: "prefs-agent", name: "agentId", required: true, autocomplete: "off" });
  append(
    main,
    heading("User ", storedText(userId, "id")),
    table,
    more,
    h(
      "section",
      { attrs: { "aria-labelledby": "prefs-title" } },
      h("h2", { id: "prefs-title" }, "Preferences"),
      h("p", {}, "Agents in the sessions above:"),
      agents,
      h(
        "form",
        {
          class: "inline-form",
          on: {
            submit: (event) => {
              event.preventDefault();
              if (prefsInput.value.trim() !== "")
                navigate(consolePath("users", userId, "preferences", prefsInput.value.trim()));
            },
          },
        },
        h("label", { for: "prefs-agent" }, "Agent id"),
        prefsInput,
        h("button", { type: "submit" }, "Open preferences"),
      ),
    ),
  );

  const draw = () => {
    const sorted = [...sessions].sort((a, b) => b.lastActiveAt - a.lastActiveAt);
    replace(
      tbody,
      ...sorted.map((s) =>
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: consolePath("sessions", s.sessionId) }, storedText(s.sessionId, "id"))),
          h("td", {}, s.agentId === null ? "—" : storedText(s.agentId, "id")),
          h("td", { class: "num" }, s.messageCount.toLocaleString("en")),
          h("td", { class: "num" }, String(s.version)),
          h("td", {}, formatTime(s.lastActiveAt)),
          h("td", {}, relative(s.expiresAt)),
        ),
      ),
    );
    if (sessions.length === 0) replace(tbody, h("tr", {}, h("td", { colspan: 6 }, "No live sessions.")));
    const agentIds = [...new Set(sessions.map((s) => s.agentId).filter((a): a is string => a !== null))];
    replace(
      agents,
      ...agentIds.map((a) =>
        h("li", {}, h("a", { href: consolePath("users", userId, "preferences", a) }, storedText(a, "id"))),
      ),
    );
    if (agentIds.length === 0) replace(agents, h("li", { class: "muted" }, "none"));
  };

  const load = async (cursor: string | null) => {
    try {
      const page = await api.get<{ sessions: Session[]; cursor: string | null }>(
        apiPath(["users", userId, "sessions"], { limit: String(PAGE), cursor }),
      );
      sessions.push(...page.sessions);
      draw();
      replace(
        more,
        page.cursor === null
          ? h("p", { class: "muted" }, `${sessions.length} session${sessions.length === 1 ? "" : "s"}.`)
          : h(
              "button",
              { type: "button", on: { click: () => void load(page.cursor) } },
              "Load more sessions",
            ),
      );
    } catch (error) {
      replace(more, failureBox(error));
    }
  };
  await load(null);
}
