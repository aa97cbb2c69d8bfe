import { expect, Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

/** Fails the test on any console error or uncaught exception in the page. */
export function failOnConsoleErrors(page: Page) {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return () => expect(errors, "browser console errors").toEqual([]);
}

/** Waits until the page has hydrated, so that clicks are not lost. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** The newest mail written for `to` by the server under test (no SMTP_URL). */
export async function mailTo(to: string): Promise<string> {
  const dir = path.join(process.env.SIDECAR_DATA_DIR ?? "../data", "mail");
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(dir)) {
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".eml")).sort();
      for (const file of files.reverse()) {
        const raw = fs.readFileSync(path.join(dir, file), "utf8");
        const text = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
        if (text.toLowerCase().includes(`to: ${to.toLowerCase()}`)) return text;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${to}`);
}

export function linkIn(mail: string, pathPrefix: string): string {
  const match = mail.match(new RegExp(`https?://[^\\s]+${pathPrefix.replace(/[?]/g, "\\?")}[A-Za-z0-9_-]+`));
  if (!match) throw new Error(`no ${pathPrefix} link in mail:\n${mail}`);
  return match[0];
}

/** Logs in through the form and waits for the page `next` leads to. */
export async function logIn(page: Page, email: string, password: string, next: string) {
  await page.goto(`/login?next=${next}`);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(new RegExp(`${next}$`));
}

/**
 * A personal access token of the demo developer (scopes `publisher` and
 * `tenant-admin`), made on the account page; the headers that send it.
 */
export async function developerApi(page: Page, name: string): Promise<Record<string, string>> {
  await logIn(page, "developer@sidecar.test", "demo-developer-pivot-42", "/account");
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/publisher — register/).check();
  await page.getByLabel(/tenant-admin — manage/).check();
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  return { Authorization: `Bearer ${token}` };
}

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Audits the page as it is now with axe-core (its rules as it runs them
 * by default) and fails on any serious or critical violation, naming each
 * with the elements it found. Also fails when the page scrolls sideways.
 */
export async function audit(page: Page, label: string) {
  await page.evaluate(AXE_SOURCE);
  const violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] =
    await page.evaluate(async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const result = await (window as any).axe.run(document);
      return result.violations;
    });
  const serious = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(serious, `axe-core on ${label}`).toEqual([]);
  const { overflow, widest } = await page.evaluate(() => {
    // The innermost elements that reach past the right edge, to name in a failure.
    const width = window.innerWidth;
    const past = [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > width + 0.5);
    const widest = past
      .filter((e) => ![...e.children].some((c) => past.includes(c)))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? "." + String(e.className).split(" ").join(".") : ""}`);
    return { overflow: document.documentElement.scrollWidth - width, widest };
  });
  expect(overflow, `${label} scrolls sideways by ${overflow}px (${widest.join(", ")})`).toBeLessThanOrEqual(0);
}
