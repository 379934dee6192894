import { ApiError, api, type Json } from "../api.js";
import { heading, section, type ViewContext } from "../app.js";
import { append, h } from "../dom.js";
import { jsonView } from "../json-view.js";

interface Overview {
  store: string;
  health: { ok: boolean; reason?: string };
  stats: { activeSessions: number; cacheEntries: number; approximate: boolean } | null;
  region: string | null;
  regions: { region: string; up: boolean }[] | null;
}

/** `/console`: the store, its health and counts, regions, and the cost report when the server has one. */
export async function overviewView({ main }: ViewContext): Promise<void> {
  const storeSection = h("section", { attrs: { "aria-labelledby": "store-title" } });
  const costSection = h("section", { attrs: { "aria-labelledby": "cost-title" } });
  append(main, heading("Overview"), storeSection, costSection, startHere());
  await Promise.all([
    section(storeSection, async () => {
      const o = await api.get<Overview>("/state/overview");
      const count = (n: number | undefined) =>
        n === undefined ? "—" : `${n.toLocaleString("en")}${o.stats?.approximate ? " (approximate)" : ""}`;
      return [
        h("h2", { id: "store-title" }, "Store"),
        h(
          "div",
          { class: "cards" },
          card("Store", o.store),
          card("Health", o.health.ok ? "ok" : "unavailable", o.health.ok ? "ok" : "bad"),
          card("Active sessions", count(o.stats?.activeSessions)),
          card("Cache entries", count(o.stats?.cacheEntries)),
          o.region === null ? null : card("Region", o.region),
        ),
        o.health.ok ? null : h("p", { class: "error" }, o.health.reason ?? "The store does not answer."),
        o.regions === null ? null : regionsTable(o.regions),
      ];
    }),
    section(costSection, async () => {
      const title = h("h2", { id: "cost-title" }, "Cost");
      try {
        const report = await api.get<Json>("/state/cost");
        return [
          title,
          ...costSummary(report),
          h(
            "details",
            { class: "panel" },
            h("summary", {}, "Full cost report"),
            jsonView(report, { label: "Cost report" }),
          ),
        ];
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
          return [
            title,
            h("p", { class: "muted" }, "This server has no cost meter (GET /state/cost is not available)."),
          ];
        }
        throw error;
      }
    }),
  ]);
}

function card(label: string, value: string, tone?: "ok" | "bad"): HTMLElement {
  return h(
    "div",
    { class: `card${tone ? ` ${tone}` : ""}` },
    h("div", { class: "card-label" }, label),
    h("div", { class: "card-value" }, value),
  );
}

function regionsTable(regions: { region: string; up: boolean }[]): HTMLElement {
  return h(
    "table",
    {},
    h("caption", {}, "Regions (first is home)"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Region"), h("th", { scope: "col" }, "Health"))),
    h(
      "tbody",
      {},
      ...regions.map((r) => h("tr", {}, h("td", {}, r.region), h("td", {}, r.up ? "up" : "down"))),
    ),
  );
}

/** What the console shows of `GET /state/cost` (the server's `CostReport`; see `/openapi.json`). */
interface CostSummary {
  region: string;
  rows: { item: string; monthlyUsd: number }[];
  totalWithoutDaxUsd: number;
  totalWithDaxUsd: number;
  monthlyUsd: number;
  advice: { verdict: string; reason: string };
}

const VERDICTS: Record<string, string> = {
  "add-dax": "Add DAX",
  "dax-not-needed": "DAX not needed",
  "dax-not-paying": "DAX is not paying for itself",
  "keep-dax": "Keep DAX",
};

const usd = (amount: number) => `$${amount.toFixed(2)}`;

/** The projected month as the design's cost table, then the DAX advice with the numbers that decided it. */
function costSummary(report: Json): HTMLElement[] {
  const r = report as unknown as Partial<CostSummary> | null;
  if (r === null || typeof r !== "object" || !Array.isArray(r.rows) || typeof r.monthlyUsd !== "number")
    return [];
  const verdict = r.advice === undefined ? undefined : (VERDICTS[r.advice.verdict] ?? r.advice.verdict);
  return [
    h(
      "table",
      {},
      h("caption", {}, `Projected month (${String(r.region)}), from what this server measured`),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Item"), h("th", { scope: "col" }, "USD / month")),
      ),
      h(
        "tbody",
        {},
        ...r.rows.map((row) => h("tr", {}, h("td", {}, String(row.item)), h("td", {}, usd(row.monthlyUsd)))),
        h(
          "tr",
          {},
          h("th", { scope: "row" }, "Total without DAX"),
          h("td", {}, usd(r.totalWithoutDaxUsd ?? 0)),
        ),
        h("tr", {}, h("th", { scope: "row" }, "Total with DAX"), h("td", {}, usd(r.totalWithDaxUsd ?? 0))),
      ),
    ),
    ...(verdict === undefined || r.advice === undefined
      ? []
      : [
          h("p", { class: "advice" }, h("strong", {}, `${verdict}: `), h("bdi", {}, String(r.advice.reason))),
        ]),
  ];
}

function startHere(): HTMLElement {
  return h(
    "section",
    { attrs: { "aria-labelledby": "start-title" } },
    h("h2", { id: "start-title" }, "Look into"),
    h(
      "ul",
      {},
      h(
        "li",
        {},
        "A user's sessions, a session's conversation and state, a LangGraph thread: use “Go” at the top with its id.",
      ),
      h(
        "li",
        {},
        h("a", { href: "/console/threads" }, "LangGraph threads"),
        " stored by AgentStateSaver, with their latest checkpoints.",
      ),
      h("li", {}, h("a", { href: "/console/cache" }, "The tool cache"), ": look up and invalidate entries."),
    ),
  );
}
