import { type ApiError, checkToken, clearToken, getToken, setToken, whenUnauthorized } from "./api.js";
import { heading, type View, type ViewContext } from "./app.js";
import { h, replace } from "./dom.js";
import { cacheView } from "./views/cache.js";
import { overviewView } from "./views/overview.js";
import { preferencesView } from "./views/preferences.js";
import { sessionView } from "./views/session.js";
import { threadsView, threadView } from "./views/threads.js";
import { userView } from "./views/user.js";

/** URL → view. Every view has its own URL under /console, so a link can go into a bug report. */
const ROUTES: { pattern: RegExp; view: View }[] = [
  { pattern: /^\/console\/?$/, view: overviewView },
  { pattern: /^\/console\/users\/([^/]+)\/preferences\/([^/]+)\/?$/, view: preferencesView },
  { pattern: /^\/console\/users\/([^/]+)\/?$/, view: userView },
  { pattern: /^\/console\/sessions\/([^/]+)\/?$/, view: sessionView },
  { pattern: /^\/console\/threads\/?$/, view: threadsView },
  { pattern: /^\/console\/threads\/([^/]+)\/?$/, view: threadView },
  { pattern: /^\/console\/cache\/?$/, view: cacheView },
];

const app = document.getElementById("app") as HTMLElement;
const status = h("p", { class: "status", role: "status", attrs: { "aria-live": "polite" } });
const main = h("main", { id: "main" });
let renderCount = 0;

function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void render();
}

function announce(text: string): void {
  status.textContent = text;
}

async function render(): Promise<void> {
  const token = getToken();
  if (token === null) return showLogin();
  if (!document.getElementById("main")) showShell();
  const render = ++renderCount;
  status.textContent = "";
  const path = location.pathname;
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    let params: string[];
    try {
      params = match.slice(1).map((s) => decodeURIComponent(s));
    } catch {
      break;
    }
    const viewMain = h("div", { class: "view" });
    replace(main, viewMain);
    const ctx: ViewContext = {
      main: viewMain,
      params,
      query: new URLSearchParams(location.search),
      navigate,
      announce,
    };
    await route.view(ctx);
    // After an in-page navigation, focus (and screen readers) go to the new view's heading; a page load
    // leaves focus at the top, where the skip link is.
    if (render === renderCount && render > 1) main.querySelector("h1")?.focus();
    return;
  }
  replace(
    main,
    heading("Not found"),
    h("p", {}, "No console view has this address. ", h("a", { href: "/console" }, "Go to the overview.")),
  );
}

function showShell(): void {
  const find = findForm();
  const header = h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: "/console" }, "agent-state console"),
    h(
      "nav",
      { attrs: { "aria-label": "Main" } },
      h("a", { href: "/console" }, "Overview"),
      h("a", { href: "/console/threads" }, "Threads"),
      h("a", { href: "/console/cache" }, "Cache"),
    ),
    find,
    h(
      "button",
      {
        type: "button",
        class: "sign-out",
        on: {
          click: () => {
            clearToken();
            showLogin("Signed out. The token was removed from this tab.");
          },
        },
      },
      "Sign out",
    ),
  );
  replace(app, h("a", { class: "skip", href: "/console#main" }, "Skip to content"), header, status, main);
}

/** "Go to" a user, session or thread by id. */
function findForm(): HTMLFormElement {
  const kind = h(
    "select",
    { id: "find-kind", name: "kind" },
    h("option", { value: "sessions" }, "Session"),
    h("option", { value: "users" }, "User"),
    h("option", { value: "threads" }, "Thread"),
  );
  const input = h("input", {
    id: "find-id",
    name: "id",
    type: "search",
    required: true,
    autocomplete: "off",
    placeholder: "id to open",
  });
  return h(
    "form",
    {
      class: "find",
      role: "search",
      on: {
        submit: (event) => {
          event.preventDefault();
          const id = input.value.trim();
          if (id !== "") navigate(`/console/${kind.value}/${encodeURIComponent(id)}`);
        },
      },
    },
    h("label", { for: "find-kind", class: "visually-hidden" }, "Kind of id"),
    kind,
    h("label", { for: "find-id", class: "visually-hidden" }, "Id"),
    input,
    h("button", { type: "submit" }, "Go"),
  );
}

function showLogin(message?: string, isError = false): void {
  const input = h("input", {
    id: "admin-token",
    name: "admin-token",
    type: "password",
    autocomplete: "off",
    required: true,
    spellcheck: false,
  });
  const feedback = h(
    "p",
    { id: "login-feedback", role: "alert", class: isError ? "error" : "muted" },
    message ?? "",
  );
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    {
      class: "login",
      attrs: { "aria-labelledby": "login-title" },
      on: {
        submit: (event) => {
          event.preventDefault();
          void signIn(input.value, feedback, button);
        },
      },
    },
    h("h1", { id: "login-title" }, "agent-state console"),
    h(
      "p",
      {},
      "Sign in with the server's admin token (AGENT_STATE_ADMIN_TOKEN, or the token it printed at start). It stays in this tab only.",
    ),
    h("label", { for: "admin-token" }, "Admin token"),
    input,
    button,
    feedback,
  );
  replace(app, h("main", { class: "login-page" }, form));
  input.focus();
}

async function signIn(token: string, feedback: HTMLElement, button: HTMLButtonElement): Promise<void> {
  if (token.trim() === "") return;
  button.disabled = true;
  feedback.className = "muted";
  feedback.textContent = "Checking the token…";
  setToken(token.trim());
  try {
    await checkToken();
  } catch (error) {
    clearToken();
    button.disabled = false;
    feedback.className = "error";
    const status = (error as ApiError).status;
    feedback.textContent =
      status === 401
        ? "The server did not accept this admin token. Check AGENT_STATE_ADMIN_TOKEN, or the token the server printed when it started."
        : `Could not check the token: ${(error as Error).message}`;
    return;
  }
  replace(app);
  await render();
}

whenUnauthorized(() => {
  clearToken();
  showLogin("The server no longer accepts the admin token. Sign in again.", true);
});

// Links inside the console navigate without a page load; modified clicks keep the browser's behaviour.
document.addEventListener("click", (event) => {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const link = (event.target as Element | null)?.closest?.("a");
  const href = link?.getAttribute("href");
  if (!link || href === null || href === undefined || !href.startsWith("/console")) return;
  event.preventDefault();
  if (href === "/console#main") {
    main.querySelector("h1")?.focus();
    return;
  }
  navigate(href);
});
window.addEventListener("popstate", () => void render());
void render();
