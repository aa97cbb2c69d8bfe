import { expect, test } from "@playwright/test";
import { failOnConsoleErrors, hydrated, linkIn, mailTo } from "./support";

test("sign up, open the mailed link, log in, see the account, log out", async ({ page }) => {
  const noConsoleErrors = failOnConsoleErrors(page);
  const email = `e2e-${Date.now()}@example.org`;
  const password = "lantern orchard pivot";

  await page.goto("/signup");
  await hydrated(page);
  await expect(page).toHaveTitle("Sign up · Sidecar");

  // A weak password is refused next to its field, and the email is kept.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("password1");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#field-password-error")).toContainText("too common");
  await expect(page.getByLabel("Email")).toHaveValue(email);

  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("status")).toContainText("Check your inbox");

  const link = linkIn(await mailTo(email), "/verify-email?token=");
  await page.goto(link);
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("status")).toContainText("Your email address is confirmed");

  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.locator("main")).toContainText(email);

  await hydrated(page);
  await page.locator("header").getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("status")).toContainText("You are logged out.");
  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "You are not logged in" })).toBeVisible();
  noConsoleErrors();
});

test("a personal access token is created and shown once", async ({ page }) => {
  const noConsoleErrors = failOnConsoleErrors(page);
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill("developer@sidecar.test");
  await page.getByLabel("Password").fill("demo-developer-pivot-42");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await page.getByLabel("Name").fill("e2e pipeline");
  await page.getByLabel(/publisher — register/).check();
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toContainText("sdc_pat_");
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await expect(page.getByRole("cell", { name: "e2e pipeline" }).first()).toBeVisible();
  noConsoleErrors();
});

test("pages work without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("nobody@example.org");
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("Email or password is incorrect.");
  await context.close();
});
