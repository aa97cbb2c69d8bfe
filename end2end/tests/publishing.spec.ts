import { expect, Page, test } from "@playwright/test";
import { failOnConsoleErrors, hydrated } from "./support";

async function logIn(page: Page, email: string, password: string, next: string) {
  await page.goto(`/login?next=${next}`);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(new RegExp(`${next}$`));
}

test("a developer registers an app, a reviewer approves it, a visitor finds it", async ({ browser }) => {
  const name = `Sleep Diary ${Date.now()}`;
  const manifest = JSON.stringify({
    client_name: name,
    tagline: "Track sleep between visits",
    redirect_uris: ["https://sleep.example.org/callback"],
    scope: "openid fhirUser launch/patient patient/Observation.rs",
    launch_types: ["standalone"],
    fhir_versions: ["4.0.1"],
    audience: ["patient"],
    categories: ["patient-engagement"],
  });

  const developer = await (await browser.newContext()).newPage();
  const devErrors = failOnConsoleErrors(developer);
  await logIn(developer, "developer@sidecar.test", "demo-developer-pivot-42", "/dev");
  await hydrated(developer);
  // A bad manifest is refused next to the field, and kept for fixing.
  await developer.getByLabel("Manifest (JSON)").fill(manifest.replace("https://sleep", "http://sleep"));
  await developer.getByRole("button", { name: "Register app" }).click();
  await expect(developer.locator(".field-error")).toContainText("redirect_uris");
  await developer.getByLabel("Manifest (JSON)").fill(manifest);
  await developer.getByRole("button", { name: "Register app" }).click();
  await expect(developer.getByRole("heading", { name, exact: true })).toBeVisible();
  await hydrated(developer);
  await developer.getByRole("button", { name: "Submit draft for review" }).click();
  await expect(developer.getByRole("status")).toContainText("submitted for review");
  devErrors();

  const reviewer = await (await browser.newContext()).newPage();
  const reviewErrors = failOnConsoleErrors(reviewer);
  await logIn(reviewer, "reviewer@sidecar.test", "demo-reviewer-orchard-42", "/review");
  await reviewer.getByRole("link", { name }).click();
  await expect(reviewer.getByRole("heading", { name: "Automatic checks" })).toBeVisible();
  await hydrated(reviewer);
  await reviewer.getByRole("button", { name: "Approve and publish" }).click();
  await expect(reviewer.getByRole("status")).toContainText("is published");
  reviewErrors();

  const visitor = await (await browser.newContext()).newPage();
  const visitorErrors = failOnConsoleErrors(visitor);
  await visitor.goto("/apps");
  await hydrated(visitor);
  await visitor.getByLabel("Search").fill("sleep diary");
  await visitor.getByRole("button", { name: "Search" }).click();
  await visitor.getByRole("list", { name: "Apps" }).getByRole("link", { name }).click();
  await expect(visitor.getByRole("heading", { name, exact: true })).toBeVisible();
  await expect(visitor.getByText("Read observation records of the patient in context")).toBeVisible();
  visitorErrors();
});
