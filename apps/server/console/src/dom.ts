// The only way the console puts anything on the page: elements built with createElement and text set as text
// nodes. Stored strings (messages, state, tool results) never pass through innerHTML, and no attribute set
// here can hold script: event handlers are listeners, links point inside the console only.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  /** An internal console path (`/console/...`); any other value is refused. */
  href?: string;
  for?: string;
  type?: string;
  name?: string;
  value?: string;
  title?: string;
  role?: string;
  tabindex?: number;
  disabled?: boolean;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  rows?: number;
  spellcheck?: boolean;
  open?: boolean;
  /** Table cells: `scope` of a header, `colspan`. */
  scope?: "col" | "row";
  colspan?: number;
  /** `aria-*` and `data-*` attributes, by their full names. */
  attrs?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

const CONSOLE_PATH = /^\/console([/?#]|$)/;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class !== undefined) el.className = props.class;
  if (props.id !== undefined) el.id = props.id;
  if (props.href !== undefined) {
    if (!CONSOLE_PATH.test(props.href)) throw new Error("only console links are allowed");
    el.setAttribute("href", props.href);
  }
  if (props.for !== undefined) el.setAttribute("for", props.for);
  for (const name of ["type", "name", "title", "role", "autocomplete", "placeholder"] as const) {
    const value = props[name];
    if (value !== undefined) el.setAttribute(name, value);
  }
  if (props.value !== undefined) (el as HTMLInputElement).value = props.value;
  if (props.tabindex !== undefined) el.tabIndex = props.tabindex;
  if (props.disabled) el.setAttribute("disabled", "");
  if (props.required) el.setAttribute("required", "");
  if (props.open) el.setAttribute("open", "");
  if (props.scope !== undefined) el.setAttribute("scope", props.scope);
  if (props.colspan !== undefined) el.setAttribute("colspan", String(props.colspan));
  if (props.rows !== undefined) el.setAttribute("rows", String(props.rows));
  if (props.spellcheck !== undefined) el.spellcheck = props.spellcheck;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (!/^(aria|data)-[a-z-]+$/.test(name)) throw new Error(`attribute ${name} is not allowed`);
    el.setAttribute(name, value);
  }
  for (const [event, listener] of Object.entries(props.on ?? {})) {
    el.addEventListener(event, listener as EventListener);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Characters of a stored string shown before "Show all". */
export const PREVIEW_CHARS = 2_000;

/**
 * A stored string as text, isolated for bidi (an RTL override inside cannot flip the page around it) and
 * cut at `PREVIEW_CHARS` with a button to show the rest (a 1 MB tool result stays usable).
 */
export function storedText(value: string, className = "stored"): HTMLElement {
  const el = h("bdi", { class: className });
  if (value.length <= PREVIEW_CHARS) {
    el.textContent = value;
    return el;
  }
  const shown = document.createTextNode(value.slice(0, PREVIEW_CHARS));
  const ellipsis = document.createTextNode("… ");
  const more = h(
    "button",
    {
      type: "button",
      class: "link-button",
      on: {
        click: () => {
          shown.textContent = value;
          ellipsis.remove();
          more.remove();
        },
      },
    },
    `Show all ${value.length.toLocaleString("en")} characters`,
  );
  append(el, shown, ellipsis, more);
  return el;
}

/** A console path from segments, each percent-encoded (ids may hold "/", "?", "#"). */
export function consolePath(...segments: string[]): string {
  return `/console${segments.map((s) => `/${encodeURIComponent(s)}`).join("")}`;
}

/** `2026-01-02 03:04:05 UTC` */
export function formatTime(ms: number | null | undefined): string {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "—";
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `in 59 min`, `3 h ago` */
export function relative(ms: number, now = Date.now()): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** A definition list of label → value rows. */
export function facts(rows: [string, Child][]): HTMLDListElement {
  const dl = h("dl", { class: "facts" });
  for (const [label, value] of rows) append(dl, h("dt", {}, label), h("dd", {}, value));
  return dl;
}
