import { expect, test } from "@playwright/test";
import { failOnConsoleErrors, hydrated } from "./support";

test("a visitor finds a published app by search and opens its page", async ({ page }) => {
  const noConsoleErrors = failOnConsoleErrors(page);
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" }).click();
  await expect(page.getByRole("heading", { name: "App gallery" })).toBeVisible();

  await page.getByLabel("Search").fill("growth");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=growth/);
  const results = page.getByRole("list", { name: "Apps" });
  await expect(results.getByRole("listitem")).toHaveCount(1);
  await results.getByRole("link", { name: "Growth Charts" }).click();

  await expect(page).toHaveURL(/\/apps\/growth-charts$/);
  await expect(page).toHaveTitle("Growth Charts · Sidecar");
  await expect(page.getByRole("heading", { name: "What it asks to access" })).toBeVisible();
  await expect(page.getByText("Read observation records of the patient in context")).toBeVisible();
  noConsoleErrors();
});
