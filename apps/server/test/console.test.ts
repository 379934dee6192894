import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AgentStateSaver } from "@agent-state/langgraph";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type RunningServer, silentLogger, startServer } from "../src/index.js";
import { accessibilityViolations, buildConsoleForTest, launchChromium, newPage } from "./console-helpers.js";
import { AGENT, MESSAGES, SESSION, seedConsoleData, THREAD, tripGraph, USER } from "./console-seed.js";
import { ADMIN_TOKEN } from "./helpers.js";

// `pnpm --filter agent-state screenshots` sets this to write the README's screenshots.
const SCREENSHOTS_DIR = process.env.AGENT_STATE_SCREENSHOTS_DIR;

let built: Awaited<ReturnType<typeof buildConsoleForTest>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;

beforeAll(async () => {
  built = await buildConsoleForTest();
  chromium = await launchChromium();
  browser = chromium.browser;
});

afterAll(async () => {
  await chromium?.close();
  built?.remove();
});

describe.each([{ kind: "memory" as const }, { kind: "embedded" as const }])(
  "the console in Chromium, on the $kind store",
  ({ kind }) => {
    const dataDir = mkdtempSync(join(tmpdir(), "agent-state-console-data-"));
    let server: RunningServer;
    let page: Page;

    const shot = async (name: string) => {
      if (SCREENSHOTS_DIR === undefined || kind !== "memory") return;
      const dir = resolve(SCREENSHOTS_DIR);
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
    };
    const expectAccessible = async () => {
      expect(await accessibilityViolations(page)).toEqual([]);
    };
    const heading = () => page.locator("main h1");

    beforeAll(async () => {
      const config = loadConfig(
        { store: kind, port: "0", "data-dir": dataDir },
        { AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN, HOST: "127.0.0.1" },
      );
      server = await startServer(config, silentLogger, { consoleDir: built.dir });
      await seedConsoleData(server.opened.store);
      ({ page } = await newPage(browser));
    });

    afterAll(async () => {
      await page?.context().close();
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("refuses a wrong token with a clear message, then signs in; the token stays out of URLs, cookies and localStorage", async () => {
      await page.goto(`${server.url}/console/users/${USER}`);
      await expect.poll(() => page.getByLabel("Admin token").count()).toBe(1);
      expect(await page.getByLabel("Admin token").getAttribute("type")).toBe("password");
      await expectAccessible();
      await shot("login");
      await page.getByLabel("Admin token").fill("not-the-token");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect
        .poll(() => page.locator("#login-feedback").textContent())
        .toContain("did not accept this admin token");
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

      await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
      await page.keyboard.press("Enter");
      await expect.poll(() => heading().textContent()).toBe(`User ${USER}`);
      expect(page.url()).toBe(`${server.url}/console/users/${USER}`); // the deep link survived the login
      expect(await page.evaluate(() => sessionStorage.getItem("agent-state.adminToken"))).toBe(ADMIN_TOKEN);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await page.context().cookies()).toEqual([]);
      expect(page.url()).not.toContain(ADMIN_TOKEN);
    });

    it("overview: store kind, health and counts; the projected month and the DAX advice from /state/cost", async () => {
      await page.getByRole("link", { name: "Overview" }).click();
      await expect.poll(() => heading().textContent()).toBe("Overview");
      const cards = page.locator(".cards");
      await expect.poll(() => cards.textContent()).toContain(`Store${kind}`);
      expect(await cards.textContent()).toContain("Healthok");
      expect(await cards.textContent()).toContain("Active sessions3");
      expect(await cards.textContent()).toContain("Cache entries3");
      const cost = page.locator("section", { hasText: "Projected month" });
      await expect.poll(() => cost.textContent()).toContain("Total without DAX");
      expect(await cost.textContent()).toContain("sessions");
      expect(await cost.textContent()).toContain("DAX not needed: ");
      await expectAccessible();
      await shot("overview");
    });

    it("user: sessions most recently active first, linked; keyboard-only navigation through the Go form", async () => {
      // Keyboard only: from the top of the page the skip link comes first; the Go form opens the user.
      await page.reload();
      await expect.poll(() => heading().textContent()).toBe("Overview");
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
      await page.getByLabel("Kind of id").selectOption("users");
      await page.getByLabel("Id", { exact: true }).focus();
      await page.keyboard.type(USER);
      await page.keyboard.press("Enter");
      await expect.poll(() => heading().textContent()).toBe(`User ${USER}`);
      // Focus moved to the new view's heading.
      await expect.poll(() => page.evaluate("document.activeElement?.tagName")).toBe("H1");
      const rows = page.locator("table tbody tr");
      await expect.poll(() => rows.count()).toBe(3);
      expect(await rows.locator("td:first-child").allTextContents()).toEqual([
        SESSION,
        "chat-3",
        "trip/rome",
      ]);
      expect(await page.locator("#prefs-title + p + ul").textContent()).toContain(AGENT);
      await expectAccessible();
      await shot("user");
    });

    it("session: facts, state, a paged timeline with tool calls; truncate after a message, with a confirmation", async () => {
      await page.getByRole("link", { name: SESSION }).click();
      await expect.poll(() => heading().textContent()).toBe(`Session ${SESSION}`);
      expect(page.url()).toBe(`${server.url}/console/sessions/${encodeURIComponent(SESSION)}`);
      const facts = page.locator("dl.facts");
      await expect.poll(() => facts.textContent()).toContain("Last tool callweather");
      expect(await page.locator(".json").first().textContent()).toContain("NOK");
      const items = page.locator("ol.timeline > li");
      await expect.poll(() => items.count()).toBe(50);
      expect(await items.nth(1).locator(".tool-calls").textContent()).toContain("weather");
      expect(await items.nth(2).locator(".role").textContent()).toBe("tool");
      await expectAccessible();
      await shot("session");
      await page.getByRole("button", { name: "Load more messages" }).click();
      await expect.poll(() => items.count()).toBe(MESSAGES);

      // Cancel first: nothing changes.
      const truncateAfter40 = items.nth(39).getByRole("button", { name: "Truncate after this" });
      await truncateAfter40.click();
      const dialog = page.getByRole("dialog");
      expect(await dialog.getByRole("heading").textContent()).toBe("Remove every message after this one?");
      // Focus is in the dialog, on Cancel (the safe choice).
      expect(await page.evaluate("document.activeElement?.textContent")).toBe("Cancel");
      await expectAccessible();
      await page.keyboard.press("Escape");
      await expect.poll(() => dialog.count()).toBe(0);
      expect((await server.opened.store.sessions.get(SESSION))?.messageCount).toBe(MESSAGES);

      await truncateAfter40.click();
      await page.getByRole("button", { name: "Remove later messages" }).click();
      await expect.poll(() => page.locator(".status").textContent()).toBe("Removed 20 messages.");
      await expect.poll(() => items.count()).toBe(40);
      const stored = await server.opened.store.sessions.messages(SESSION, { limit: 100 });
      expect(stored.items.map((m) => m.content).at(-1)).toBe("message 39");
      expect(stored.items).toHaveLength(40);
    });

    it("session: delete with a confirmation, then back at the user's sessions", async () => {
      await page.goto(`${server.url}/console/sessions/chat-3`); // a reload keeps the tab's sign-in
      await expect.poll(() => heading().textContent()).toBe("Session chat-3");
      await page.getByRole("button", { name: "Delete session" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect(await server.opened.store.sessions.get("chat-3")).not.toBeNull();
      await page.getByRole("button", { name: "Delete session" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Delete session" }).click();
      await expect.poll(() => heading().textContent()).toBe(`User ${USER}`);
      expect(await page.locator(".status").textContent()).toBe("The session was deleted.");
      expect(await server.opened.store.sessions.get("chat-3")).toBeNull();
      await expect.poll(() => page.locator("table tbody tr").count()).toBe(2);
    });

    it("preferences: view and edit, stored as edited", async () => {
      await page.getByRole("link", { name: AGENT }).click();
      await expect.poll(() => heading().textContent()).toBe("Preferences");
      await expect.poll(() => page.locator(".json").textContent()).toContain("metric");
      await page.getByText("Edit", { exact: true }).click();
      const editor = page.getByLabel("Values (a JSON object)");
      await expect.poll(() => editor.inputValue()).not.toBe("");
      expect(JSON.parse(await editor.inputValue())).toEqual({
        units: "metric",
        language: "en",
        seats: { aisle: true },
      });
      await expectAccessible();
      await shot("preferences");
      await editor.fill("[1, 2]");
      await page.getByRole("button", { name: "Save" }).click();
      await expect
        .poll(() => page.locator(".editor [role=alert]").textContent())
        .toBe("The values must be a JSON object.");
      await editor.fill('{ "units": "imperial", "language": "nb" }');
      await page.getByRole("button", { name: "Save" }).click();
      await expect.poll(() => page.locator(".status").textContent()).toBe("The preferences were saved.");
      const stored = await server.opened.store.preferences.get(USER, AGENT);
      expect(stored?.values).toEqual({ units: "imperial", language: "nb" });
      expect(stored?.version).toBe(2);
      await expect.poll(() => page.locator(".json").textContent()).toContain("imperial");
    });

    it("cache: look up an entry by tool and parameters, invalidate it, then every entry of another tool", async () => {
      await page.getByRole("link", { name: "Cache" }).click();
      await expect.poll(() => heading().textContent()).toBe("Tool cache");
      await page.getByLabel("Tool name").fill("weather");
      await page.getByLabel("Parameters (JSON object)").fill('{ "city": "Oslo" }');
      await page.getByRole("button", { name: "Look up" }).click();
      await expect.poll(() => page.locator(".result").textContent()).toContain("Hits1");
      expect(page.url()).toContain("/console/cache?tool=weather&params=");
      expect(await page.locator(".result .json").textContent()).toContain("rain");
      await expectAccessible();
      await shot("cache");
      await page.getByRole("button", { name: "Invalidate this entry" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Invalidate entry" }).click();
      await expect.poll(() => page.locator(".result").textContent()).toBe("The entry was invalidated.");
      const { toolCache } = server.opened.store;
      expect(await toolCache.get("weather", { city: "Oslo" })).toBeNull();

      await page.getByLabel("Tool name").fill("news");
      await page.getByRole("button", { name: "Invalidate all entries of this tool" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Invalidate all" }).click();
      await expect
        .poll(() => page.locator(".result").textContent())
        .toBe("Every entry of the tool was invalidated.");
      expect(await toolCache.get("news", { q: "oslo" })).toBeNull();
      expect(await toolCache.get("weather", { city: "Rome" })).not.toBeNull(); // another tool's entry stays

      await page.getByLabel("Tool name").fill("news");
      await page.getByRole("button", { name: "Look up" }).click();
      await expect
        .poll(() => page.locator(".result").textContent())
        .toBe("No live entry for this tool and these parameters.");
    });

    it("threads: listed from the cross-thread index; checkpoints newest first, values, the diff against the parent", async () => {
      await page.getByRole("link", { name: "Threads" }).click();
      await expect.poll(() => heading().textContent()).toBe("LangGraph threads");
      await page.getByRole("link", { name: THREAD }).waitFor();
      await expectAccessible();
      await page.getByRole("link", { name: THREAD }).click();
      await expect.poll(() => heading().textContent()).toBe(`Thread ${THREAD}`);
      const rows = page.getByRole("table", { name: "Checkpoints, newest first" }).locator("tbody tr");
      await expect.poll(() => rows.count()).toBe(4);
      expect(await rows.locator("td:first-child").allTextContents()).toEqual(["2", "1", "0", "-1"]);
      expect(await rows.locator("td:nth-child(2)").allTextContents()).toEqual([
        "loop",
        "loop",
        "loop",
        "input",
      ]);
      // The newest is selected: `forecast` appended a note.
      const detail = page.locator("section.checkpoint");
      await expect.poll(() => detail.locator(".diff").textContent()).toContain("Changed channels: notes");
      expect(await detail.locator(".diff table").textContent()).toContain("$.notes[1]");
      await expectAccessible();
      await shot("thread");
    });

    it("threads: fork from a checkpoint as updateState does; the thread's next run continues from the fork", async () => {
      const rows = page.getByRole("table", { name: "Checkpoints, newest first" }).locator("tbody tr");
      await rows.nth(1).getByRole("link").click(); // step 1: after `plan`, before `forecast`
      const detail = page.locator("section.checkpoint");
      await expect.poll(() => detail.locator("dl.facts").textContent()).toContain("Step1");
      expect(await detail.locator(".diff").textContent()).toContain("$.city");
      const chosen = new URL(page.url()).searchParams.get("checkpoint");
      await page.getByRole("button", { name: "Fork from this checkpoint" }).click();
      await page.getByLabel(/Replace channel values/).fill('{ "city": "Bergen" }');
      await page.getByRole("dialog").getByRole("button", { name: "Fork" }).click();
      await expect
        .poll(() => page.locator(".status").textContent())
        .toBe("Forked: the new checkpoint is selected.");
      await expect.poll(() => rows.count()).toBe(5);
      const forked = new URL(page.url()).searchParams.get("checkpoint");
      expect(forked).not.toBe(chosen);
      await expect.poll(() => detail.locator("dl.facts").textContent()).toContain(`Parent${chosen}`);
      expect(await detail.locator("dl.facts").textContent()).toContain("Sourceupdate");

      const saver = new AgentStateSaver(server.opened.store);
      const latest = await saver.getTuple({ configurable: { thread_id: THREAD } });
      expect(latest?.config.configurable?.checkpoint_id).toBe(forked);
      expect(latest?.parentConfig?.configurable?.checkpoint_id).toBe(chosen);
      expect(latest?.checkpoint.channel_values.city).toBe("Bergen");
      const resumed = await tripGraph(server.opened.store).invoke(null, {
        configurable: { thread_id: THREAD },
      });
      expect(resumed.notes.map((n: { text: string }) => n.text)).toEqual([
        "looking up weather in Oslo",
        "Forecast for Bergen: 4 °C, rain",
      ]);
    });

    it("signing out removes the token from the tab", async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await expect.poll(() => page.getByLabel("Admin token").count()).toBe(1);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    });
  },
);

describe("the console's HTTP face", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const config = loadConfig({ store: "memory", port: "0" }, { AGENT_STATE_ADMIN_TOKEN: ADMIN_TOKEN });
    server = await startServer(config, silentLogger, { consoleDir: built.dir });
  });
  afterAll(() => server?.stop());

  it("serves the page for every view URL and its assets with a strict CSP, nosniff and no framing", async () => {
    for (const path of [
      "/console",
      "/console/",
      "/console/sessions/a%2Fb",
      "/console/users/u",
      "/console/threads/t",
      "/console/cache",
      "/console/assets/app.js",
      "/console/assets/app.css",
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(csp, path).not.toContain("unsafe-eval");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      await res.arrayBuffer();
    }
    const page = await (await fetch(`${server.url}/console/users/x`)).text();
    expect(page).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    expect((await fetch(`${server.url}/console/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/console/assets/app.js`)).headers.get("content-type")).toContain(
      "text/javascript",
    );
  });
});
