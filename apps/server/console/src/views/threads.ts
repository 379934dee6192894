import { ApiError, api, apiPath, type Json } from "../api.js";
import { describeFailure, failureBox, heading, section, type ViewContext } from "../app.js";
import { confirmAction } from "../dialog.js";
import { append, consolePath, facts, h, replace, storedText } from "../dom.js";
import { jsonView } from "../json-view.js";

interface ThreadSummary {
  threadId: string;
  latestCheckpointId: string;
  ns: string;
  step: number | null;
  source: string | null;
}

interface CheckpointSummary {
  threadId: string;
  ns: string;
  checkpointId: string;
  parentId: string | null;
  ts: string;
  step: number | null;
  source: string | null;
  writes: Json;
  channels: string[];
  pendingWrites: number;
}

interface JsonChange {
  kind: "added" | "removed" | "changed";
  path: string;
  before?: Json;
  after?: Json;
}

interface CheckpointDetail extends CheckpointSummary {
  values: Record<string, Json>;
  metadata: Json;
  pendingWriteList: { taskId: string; channel: string; value: Json }[];
  diff: { added: string[]; removed: string[]; changed: string[]; changes: JsonChange[]; truncated: boolean };
}

const PAGE = 50;

const cols = (...names: string[]) =>
  h("thead", {}, h("tr", {}, ...names.map((n) => h("th", { scope: "col" }, n))));

/** `/console/threads`: LangGraph threads from the saver's cross-thread index (by thread id), with their latest checkpoint. */
export async function threadsView({ main }: ViewContext): Promise<void> {
  const tbody = h("tbody");
  const more = h("div", { class: "more" });
  append(
    main,
    heading("LangGraph threads"),
    h(
      "p",
      { class: "muted" },
      "Threads that AgentStateSaver keeps in this store, by thread id, each with its latest checkpoint.",
    ),
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, "Threads"),
      cols("Thread", "Latest checkpoint", "Step", "Source"),
      tbody,
    ),
    more,
  );
  const seen = new Set<string>();
  const load = async (cursor: string | null) => {
    try {
      const page = await api.get<{ threads: ThreadSummary[]; cursor: string | null }>(
        apiPath(["threads"], { limit: String(PAGE), cursor }),
      );
      for (const t of page.threads) {
        if (seen.has(t.threadId)) continue;
        seen.add(t.threadId);
        tbody.appendChild(
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: consolePath("threads", t.threadId) }, storedText(t.threadId, "id"))),
            h("td", { class: "mono" }, t.latestCheckpointId),
            h("td", { class: "num" }, t.step === null ? "—" : String(t.step)),
            h("td", {}, t.source ?? "—"),
          ),
        );
      }
      replace(
        more,
        page.cursor === null
          ? h(
              "p",
              { class: "muted" },
              seen.size === 0
                ? "No threads are stored."
                : `${seen.size} thread${seen.size === 1 ? "" : "s"}.`,
            )
          : h("button", { type: "button", on: { click: () => void load(page.cursor) } }, "Load more threads"),
      );
    } catch (error) {
      replace(more, failureBox(error));
    }
  };
  await load(null);
}

/**
 * `/console/threads/<threadId>?checkpoint=<id>&ns=<ns>`: the thread's checkpoints newest first; one
 * checkpoint's channel values, its diff against its parent, and forking from it.
 */
export async function threadView(ctx: ViewContext): Promise<void> {
  const { main, params, query } = ctx;
  const threadId = params[0] ?? "";
  const selected = query.get("checkpoint");
  const ns = query.get("ns") ?? "";
  const tbody = h("tbody");
  const more = h("div", { class: "more" });
  const detail = h("section", { class: "checkpoint", attrs: { "aria-labelledby": "checkpoint-title" } });
  append(
    main,
    heading("Thread ", storedText(threadId, "id")),
    h(
      "div",
      { class: "split" },
      h(
        "section",
        { attrs: { "aria-labelledby": "checkpoints-title" } },
        h("h2", { id: "checkpoints-title" }, "Checkpoints, newest first"),
        h(
          "table",
          { attrs: { "aria-labelledby": "checkpoints-title" } },
          cols("Step", "Source", "Checkpoint", "Namespace", "Time", "Pending writes"),
          tbody,
        ),
        more,
      ),
      detail,
    ),
  );
  let firstId: string | null = null;
  const link = (c: CheckpointSummary) => {
    const search = new URLSearchParams({ checkpoint: c.checkpointId });
    if (c.ns !== "") search.set("ns", c.ns);
    return `${consolePath("threads", threadId)}?${search.toString()}`;
  };
  const load = async (cursor: string | null) => {
    try {
      const page = await api.get<{ checkpoints: CheckpointSummary[]; cursor: string | null }>(
        apiPath(["threads", threadId, "checkpoints"], { limit: String(PAGE), cursor }),
      );
      for (const c of page.checkpoints) {
        firstId ??= c.checkpointId;
        const current = c.checkpointId === (selected ?? firstId) && c.ns === (selected === null ? c.ns : ns);
        tbody.appendChild(
          h(
            "tr",
            { class: current ? "selected" : "" },
            h("td", { class: "num" }, c.step === null ? "—" : String(c.step)),
            h("td", {}, c.source ?? "—"),
            h(
              "td",
              { class: "mono" },
              h("a", { href: link(c), attrs: current ? { "aria-current": "true" } : {} }, c.checkpointId),
            ),
            h("td", {}, c.ns === "" ? "(root)" : storedText(c.ns, "id")),
            h("td", {}, c.ts.replace("T", " ").slice(0, 19)),
            h("td", { class: "num" }, String(c.pendingWrites)),
          ),
        );
      }
      replace(
        more,
        page.cursor === null
          ? tbody.childElementCount === 0
            ? h("p", { class: "muted" }, "No checkpoints in this thread.")
            : null
          : h(
              "button",
              { type: "button", on: { click: () => void load(page.cursor) } },
              "Load more checkpoints",
            ),
      );
    } catch (error) {
      replace(more, failureBox(error));
    }
  };
  await load(null);
  const chosen = selected ?? firstId;
  if (chosen === null) return;
  await section(detail, () => checkpointDetail(ctx, threadId, chosen, selected === null ? "" : ns));
}

async function checkpointDetail(ctx: ViewContext, threadId: string, checkpointId: string, ns: string) {
  const c = await api.get<CheckpointDetail>(
    apiPath(["threads", threadId, "checkpoints", checkpointId], { ns: ns || undefined }),
  );
  const parentLink = (id: string) => {
    const search = new URLSearchParams({ checkpoint: id });
    if (ns !== "") search.set("ns", ns);
    return h("a", { href: `${consolePath("threads", threadId)}?${search.toString()}`, class: "mono" }, id);
  };
  return [
    h("h2", { id: "checkpoint-title" }, "Checkpoint ", h("span", { class: "mono" }, c.checkpointId)),
    facts([
      ["Step", c.step === null ? "—" : String(c.step)],
      ["Source", c.source ?? "—"],
      ["Parent", c.parentId === null ? "none (first checkpoint)" : parentLink(c.parentId)],
      ["Namespace", c.ns === "" ? "(root)" : storedText(c.ns, "id")],
      ["Time", c.ts],
    ]),
    h("div", { class: "actions" }, forkButton(ctx, threadId, c)),
    h("h3", {}, c.parentId === null ? "Channels (no parent to compare with)" : "Changes since the parent"),
    diffView(c.diff),
    h("h3", {}, "Channel values"),
    jsonView(c.values, { label: "Channel values" }),
    h("details", { class: "panel" }, h("summary", {}, "Metadata"), jsonView(c.metadata)),
    c.pendingWriteList.length === 0
      ? null
      : h(
          "details",
          { class: "panel" },
          h("summary", {}, `Pending writes (${c.pendingWriteList.length})`),
          jsonView(c.pendingWriteList as unknown as Json),
        ),
  ];
}

function diffView(diff: CheckpointDetail["diff"]): HTMLElement {
  const channelList = (label: string, names: string[], kind: string) =>
    names.length === 0
      ? null
      : h(
          "li",
          { class: `diff-${kind}` },
          `${label}: `,
          ...names.flatMap((n, i) => [i > 0 ? ", " : "", storedText(n, "id")]),
        );
  const summary = h(
    "ul",
    { class: "diff-channels" },
    channelList("Added channels", diff.added, "added"),
    channelList("Removed channels", diff.removed, "removed"),
    channelList("Changed channels", diff.changed, "changed"),
  );
  if (summary.childElementCount === 0) append(summary, h("li", {}, "No channel changed."));
  const rows = diff.changes.map((change) =>
    h(
      "tr",
      { class: `diff-${change.kind}` },
      h("td", {}, change.kind),
      h("td", { class: "mono" }, storedText(change.path, "id")),
      h("td", {}, change.before === undefined ? "—" : jsonView(change.before, { openDepth: 1 })),
      h("td", {}, change.after === undefined ? "—" : jsonView(change.after, { openDepth: 1 })),
    ),
  );
  return h(
    "div",
    { class: "diff" },
    summary,
    rows.length === 0
      ? null
      : h(
          "table",
          {},
          h("caption", { class: "visually-hidden" }, "Changed JSON paths"),
          cols("Change", "JSON path", "Before", "After"),
          h("tbody", {}, ...rows),
        ),
    diff.truncated ? h("p", { class: "muted" }, "Only the first changes are listed.") : null,
  );
}

function forkButton(ctx: ViewContext, threadId: string, c: CheckpointDetail): HTMLButtonElement {
  const button = h(
    "button",
    {
      type: "button",
      class: "primary",
      on: {
        click: async () => {
          const area = h("textarea", { id: "fork-values", rows: 6, spellcheck: false, value: "{}" });
          const extra = h(
            "div",
            { class: "stack" },
            h(
              "label",
              { for: "fork-values" },
              "Replace channel values (a JSON object of channel → value; {} keeps them all)",
            ),
            area,
          );
          const ok = await confirmAction({
            title: "Fork from this checkpoint?",
            body: h(
              "p",
              {},
              "A new checkpoint is written whose parent is this one, as LangGraph's updateState does. The thread's next run continues from it.",
            ),
            confirmLabel: "Fork",
            extra,
          });
          if (!ok) return button.focus();
          let values: Json;
          try {
            values = JSON.parse(area.value || "{}") as Json;
          } catch {
            ctx.announce("The channel values were not valid JSON; nothing was written.");
            return;
          }
          try {
            const forked = await api.post<{ checkpointId: string }>(
              apiPath(["threads", threadId, "checkpoints", c.checkpointId, "fork"], {
                ns: c.ns || undefined,
              }),
              { values },
            );
            const search = new URLSearchParams({ checkpoint: forked.checkpointId });
            if (c.ns !== "") search.set("ns", c.ns);
            ctx.navigate(`${consolePath("threads", threadId)}?${search.toString()}`);
            ctx.announce("Forked: the new checkpoint is selected.");
          } catch (error) {
            ctx.announce(error instanceof ApiError ? describeFailure(error) : "The fork failed.");
          }
        },
      },
    },
    "Fork from this checkpoint",
  );
  return button;
}
