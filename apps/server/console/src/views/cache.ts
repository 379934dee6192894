import { ApiError, api, apiPath, type Json } from "../api.js";
import { describeFailure, failureBox, heading, type ViewContext } from "../app.js";
import { confirmAction, confirmButton } from "../dialog.js";
import { append, facts, formatTime, h, relative, replace, storedText } from "../dom.js";
import { jsonView } from "../json-view.js";

interface Entry {
  toolName: string;
  params: Record<string, Json>;
  value: Json;
  hitCount: number;
  cachedAt: number;
  expiresAt: number;
}

/**
 * `/console/cache?tool=&params=&user=`: one tool-cache entry by tool name and parameters (the store keys
 * entries by a hash of the parameters and cannot list them), invalidate it, or every entry of the tool.
 */
export async function cacheView(ctx: ViewContext): Promise<void> {
  const { main, query } = ctx;
  const tool = h("input", {
    id: "cache-tool",
    name: "tool",
    required: true,
    autocomplete: "off",
    value: query.get("tool") ?? "",
  });
  const params = h("textarea", {
    id: "cache-params",
    name: "params",
    rows: 3,
    spellcheck: false,
    value: query.get("params") ?? "{}",
    attrs: { "aria-describedby": "cache-params-help" },
  });
  const user = h("input", {
    id: "cache-user",
    name: "user",
    autocomplete: "off",
    value: query.get("user") ?? "",
    attrs: { "aria-describedby": "cache-user-help" },
  });
  const result = h("div", { class: "result", attrs: { "aria-live": "polite" } });
  const current = () => ({
    tool: tool.value.trim(),
    params: params.value.trim() || "{}",
    user: user.value.trim(),
  });
  const invalidateAll = h(
    "button",
    {
      type: "button",
      class: "danger",
      on: {
        click: async () => {
          const c = current();
          if (c.tool === "") return tool.focus();
          const ok = await confirmAction({
            title: "Invalidate every entry of this tool?",
            body: h(
              "p",
              {},
              "Every cached result of ",
              storedText(c.tool, "id"),
              c.user === "" ? "" : " (in the MCP user's namespace)",
              " is removed. Other tools keep theirs.",
            ),
            confirmLabel: "Invalidate all",
            danger: true,
          });
          if (!ok) return invalidateAll.focus();
          try {
            await api.del(apiPath(["cache", c.tool], { user: c.user || undefined }));
            replace(result, h("p", {}, "Every entry of the tool was invalidated."));
            ctx.announce("Every entry of the tool was invalidated.");
          } catch (error) {
            replace(result, failureBox(error));
          }
        },
      },
    },
    "Invalidate all entries of this tool",
  );
  const form = h(
    "form",
    {
      class: "stack",
      on: {
        submit: (event) => {
          event.preventDefault();
          const c = current();
          const search = new URLSearchParams({ tool: c.tool, params: c.params });
          if (c.user !== "") search.set("user", c.user);
          ctx.navigate(`/console/cache?${search.toString()}`);
        },
      },
    },
    h("label", { for: "cache-tool" }, "Tool name"),
    tool,
    h("label", { for: "cache-params" }, "Parameters (JSON object)"),
    h(
      "p",
      { id: "cache-params-help", class: "muted" },
      "Key order does not matter. Looking an entry up counts as a hit, as a tool call would.",
    ),
    params,
    h("label", { for: "cache-user" }, "MCP user (optional)"),
    h(
      "p",
      { id: "cache-user-help", class: "muted" },
      "Entries stored with the cache_set tool live in that user's namespace.",
    ),
    user,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Look up"),
      invalidateAll,
    ),
  );
  append(main, heading("Tool cache"), form, result);
  const c = current();
  if (query.get("tool") !== null && c.tool !== "") await lookUp(ctx, c, result);
}

async function lookUp(
  ctx: ViewContext,
  c: { tool: string; params: string; user: string },
  result: HTMLElement,
): Promise<void> {
  replace(result, h("p", { class: "muted" }, "Looking up…"));
  try {
    JSON.parse(c.params);
  } catch {
    replace(result, h("p", { class: "error", role: "alert" }, "The parameters are not valid JSON."));
    return;
  }
  try {
    const entry = await api.get<Entry>(
      apiPath(["cache", c.tool], { params: c.params, user: c.user || undefined }),
    );
    const invalidate = confirmButton({
      label: "Invalidate this entry",
      class: "danger",
      confirm: () => ({
        title: "Invalidate this entry?",
        body: h(
          "p",
          {},
          "The cached result for these parameters is removed; the next call computes it again.",
        ),
        confirmLabel: "Invalidate entry",
        danger: true,
      }),
      run: async () => {
        try {
          await api.del(apiPath(["cache", c.tool], { params: c.params, user: c.user || undefined }));
          replace(result, h("p", {}, "The entry was invalidated."));
          ctx.announce("The entry was invalidated.");
        } catch (error) {
          replace(result, failureBox(error));
        }
      },
    });
    replace(
      result,
      h("h2", {}, "Entry"),
      facts([
        ["Stored under", storedText(entry.toolName, "id")],
        ["Hits", entry.hitCount.toLocaleString("en")],
        ["Cached", formatTime(entry.cachedAt)],
        ["Expires", `${formatTime(entry.expiresAt)} (${relative(entry.expiresAt)})`],
      ]),
      h("h3", {}, "Value"),
      jsonView(entry.value, { label: "Cached value" }),
      h("div", { class: "actions" }, invalidate),
    );
  } catch (error) {
    if (error instanceof ApiError && error.code === "NOT_FOUND") {
      replace(result, h("p", {}, "No live entry for this tool and these parameters."));
    } else {
      replace(result, h("p", { class: "error", role: "alert" }, describeFailure(error)));
    }
  }
}
