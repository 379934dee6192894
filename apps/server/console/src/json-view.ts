import type { Json } from "./api.js";
import { append, h, storedText } from "./dom.js";

/** Entries of one object or array shown before "Show N more". */
const ENTRIES_SHOWN = 200;

/**
 * A JSON value as a tree: objects and arrays fold (`<details>`, open for the first `openDepth` levels),
 * strings are stored text (cut when long), numbers, booleans and null keep their JSON spelling.
 */
export function jsonView(
  value: Json | undefined,
  opts: { label?: string; openDepth?: number } = {},
): HTMLElement {
  const root = h("div", { class: "json" });
  if (opts.label !== undefined) root.setAttribute("aria-label", opts.label);
  append(root, node(value, opts.openDepth ?? 2, 0));
  return root;
}

function node(value: Json | undefined, openDepth: number, depth: number): Node {
  if (value === undefined) return h("span", { class: "json-null" }, "undefined");
  if (value === null) return h("span", { class: "json-null" }, "null");
  if (typeof value === "string") {
    return h("span", { class: "json-string" }, '"', storedText(value, "stored"), '"');
  }
  if (typeof value !== "object") return h("span", { class: `json-${typeof value}` }, String(value));
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return h("span", { class: "json-punct" }, `${open}${close}`);
  const count = Array.isArray(value)
    ? `${entries.length} item${entries.length === 1 ? "" : "s"}`
    : `${entries.length} key${entries.length === 1 ? "" : "s"}`;
  const list = h("ul", { class: "json-entries" });
  const details = h(
    "details",
    { open: depth < openDepth },
    h(
      "summary",
      {},
      h("span", { class: "json-punct" }, open),
      " ",
      h("span", { class: "json-count" }, count),
      " ",
      h("span", { class: "json-punct" }, close),
    ),
    list,
  );
  const addEntries = (from: number) => {
    const slice = entries.slice(from, from + ENTRIES_SHOWN);
    for (const [key, v] of slice) {
      append(
        list,
        h(
          "li",
          {},
          h("bdi", { class: Array.isArray(value) ? "json-index" : "json-key" }, key),
          h("span", { class: "json-punct" }, ": "),
          node(v, openDepth, depth + 1),
        ),
      );
    }
    const rest = entries.length - (from + slice.length);
    if (rest > 0) {
      const more: HTMLLIElement = h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "link-button",
            on: {
              click: () => {
                more.remove();
                addEntries(from + ENTRIES_SHOWN);
              },
            },
          },
          `Show ${Math.min(rest, ENTRIES_SHOWN)} more of ${rest}`,
        ),
      );
      list.appendChild(more);
    }
  };
  addEntries(0);
  return details;
}
