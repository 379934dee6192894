import { ApiError } from "./api.js";
import { type Child, h, replace } from "./dom.js";

/** What a view gets: where to render, its URL parts, and how to move on. */
export interface ViewContext {
  main: HTMLElement;
  /** The view's path segments after the route's prefix, percent-decoded. */
  params: string[];
  query: URLSearchParams;
  navigate(path: string, opts?: { replace?: boolean }): void;
  /** A message in the polite live region (and on screen) until the next navigation. */
  announce(text: string): void;
}

export type View = (ctx: ViewContext) => Promise<void>;

/** The view's heading, focusable so that navigation moves focus (and screen readers) to it. */
export function heading(...children: Child[]): HTMLHeadingElement {
  return h("h1", { tabindex: -1 }, ...children);
}

/** A failure as one line for the page (never the token). */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  return "Something went wrong in the console.";
}

/** An error box for a part of a view that failed. */
export function failureBox(error: unknown): HTMLElement {
  return h("p", { class: "error", role: "alert" }, describeFailure(error));
}

/** Shows `loading` in `target`, then whatever `build` returns (or the failure). */
export async function section(target: HTMLElement, build: () => Promise<Child | Child[]>): Promise<void> {
  replace(target, h("p", { class: "muted" }, "Loading…"));
  try {
    const content = await build();
    replace(target, ...(Array.isArray(content) ? content : [content]));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    replace(target, failureBox(error));
  }
}
