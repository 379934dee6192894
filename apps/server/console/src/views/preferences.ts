import { ApiError, api, apiPath, type Json, type Preferences } from "../api.js";
import { describeFailure, heading, section, type ViewContext } from "../app.js";
import { append, consolePath, facts, formatTime, h, relative, replace, storedText } from "../dom.js";
import { jsonView } from "../json-view.js";

/** `/console/users/<userId>/preferences/<agentId>`: the values, and an editor that replaces them. */
export async function preferencesView(ctx: ViewContext): Promise<void> {
  const { main, params } = ctx;
  const [userId = "", agentId = ""] = params;
  const body = h("div");
  append(
    main,
    heading("Preferences"),
    facts([
      ["User", h("a", { href: consolePath("users", userId) }, storedText(userId, "id"))],
      ["Agent", storedText(agentId, "id")],
    ]),
    body,
  );
  await section(body, async () => {
    let prefs: Preferences | null = null;
    try {
      prefs = await api.get<Preferences>(apiPath(["users", userId, "preferences", agentId]));
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "NOT_FOUND")) throw error;
    }
    return [
      prefs === null
        ? h("p", { class: "muted" }, "No preferences are stored for this user and agent.")
        : [
            facts([
              ["Version", String(prefs.version)],
              ["Updated", formatTime(prefs.updatedAt)],
              ["Expires", `${formatTime(prefs.expiresAt)} (${relative(prefs.expiresAt)})`],
            ]),
            h("h2", {}, "Values"),
            jsonView(prefs.values, { label: "Preference values" }),
          ],
      editor(ctx, userId, agentId, prefs),
    ].flat();
  });
}

function editor(ctx: ViewContext, userId: string, agentId: string, prefs: Preferences | null): HTMLElement {
  const area = h("textarea", {
    id: "prefs-json",
    name: "values",
    rows: 12,
    spellcheck: false,
    attrs: { "aria-describedby": "prefs-help" },
  });
  const feedback = h("p", { role: "alert" });
  const form = h(
    "form",
    {
      class: "editor",
      on: {
        submit: async (event) => {
          event.preventDefault();
          let values: Json;
          try {
            values = JSON.parse(area.value) as Json;
          } catch {
            feedback.className = "error";
            feedback.textContent = "That is not valid JSON.";
            return area.focus();
          }
          if (values === null || typeof values !== "object" || Array.isArray(values)) {
            feedback.className = "error";
            feedback.textContent = "The values must be a JSON object.";
            return area.focus();
          }
          try {
            await api.put(apiPath(["users", userId, "preferences", agentId]), { values });
            ctx.navigate(location.pathname, { replace: true });
            ctx.announce("The preferences were saved.");
          } catch (error) {
            feedback.className = "error";
            feedback.textContent = describeFailure(error);
          }
        },
      },
    },
    h("label", { for: "prefs-json" }, "Values (a JSON object)"),
    h("p", { id: "prefs-help", class: "muted" }, "Saving replaces every value; a key left out is removed."),
    area,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, prefs === null ? "Create" : "Save"),
    ),
    feedback,
  );
  const details = h(
    "details",
    { class: "panel" },
    h("summary", {}, prefs === null ? "Create preferences" : "Edit"),
    form,
  );
  // Filled when opened: a 1 MB value is only put into the textarea when someone wants to edit it.
  details.addEventListener("toggle", () => {
    if (details.open && area.value === "") area.value = JSON.stringify(prefs?.values ?? {}, null, 2);
  });
  replace(feedback);
  return h("section", { attrs: { "aria-label": "Edit preferences" } }, details);
}
