// Takes screenshots of pages for a visual check: node shoot.mjs OUT_DIR PATH... (BASE_URL, LOGIN=email:password)
import { chromium } from "@playwright/test";

const [out, ...paths] = process.argv.slice(2);
const base = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
for (const width of [1280, 360]) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  if (process.env.LOGIN) {
    const [email, password] = process.env.LOGIN.split(":");
    await page.goto(base + "/login");
    await page.fill("#field-email", email);
    await page.fill("#field-password", password);
    await page.click("button[type=submit]");
    await page.waitForURL(/account/);
  }
  for (const path of paths) {
    await page.goto(base + path);
    await page.waitForSelector("body[data-hydrated=true]", { timeout: 10000 }).catch(() => errors.push("not hydrated: " + path));
    const name = path.replace(/[^a-z0-9]+/gi, "_") || "home";
    await page.screenshot({ path: `${out}/${name}_${width}.png`, fullPage: true });
  }
  if (errors.length) console.log("console errors at", width, errors);
  await page.close();
}
await browser.close();
