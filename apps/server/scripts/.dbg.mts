import { loadConfig, silentLogger, startServer } from "../src/index.js";
import { buildConsoleForTest, launchChromium, newPage } from "../test/console-helpers.js";

const built = await buildConsoleForTest();
const config = loadConfig(
  { store: "memory", port: "0" },
  { AGENT_STATE_ADMIN_TOKEN: "tok-0123456789abcdef" },
);
const s = await startServer(config, silentLogger, { consoleDir: built.dir });
const c = await launchChromium();
const { page } = await newPage(c.browser);
page.on("console", (m) => console.log("console:", m.type(), m.text()));
page.on("pageerror", (e) => console.log("pageerror:", e.message));
await page.goto(s.url + "/console/users/ana");
await page.getByLabel("Admin token").fill("tok-0123456789abcdef");
await page.keyboard.press("Enter");
await new Promise((r) => setTimeout(r, 1500));
console.log(await page.content());
await c.close();
await s.stop();
built.remove();
