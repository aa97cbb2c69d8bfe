import { expect, test } from "@playwright/test";
import { failOnConsoleErrors, hydrated, logIn } from "./support";

test("a developer registers an app, a reviewer approves it, a visitor finds it", async ({ browser }) => {
  const name = `Sleep Diary ${Date.now()}`;

  const developer = await (await browser.newContext()).newPage();
  const devErrors = failOnConsoleErrors(developer);
  await logIn(developer, "developer@sidecar.test", "demo-developer-pivot-42", "/dev");
  await hydrated(developer);
  // Field by field; each field is checked as it is typed, in the browser.
  await developer.locator("#field-client_name").fill(name);
  await developer.locator("#field-tagline").fill("Track sleep between visits");
  await developer.getByLabel("Patient engagement").check();
  await developer.getByLabel("Patients").check();
  await developer.getByLabel("Standalone launch").check();
  await developer.getByLabel("EHR launch").uncheck();
  await developer.locator("#field-redirect_uris").fill("http://sleep.example.org/callback");
  await expect(developer.locator("#field-redirect_uris-error")).toContainText("https");
  await developer.locator("#field-redirect_uris").fill("https://sleep.example.org/callback");
  await expect(developer.locator("#field-redirect_uris-error")).toHaveCount(0);
  await developer.locator("#field-scope").fill("openid fhirUser launch/patient patient/Observation.rs patient/Nothing.rs");
  await expect(developer.locator("#field-scope-error")).toContainText("Nothing");
  await developer.locator("#field-scope").fill("openid fhirUser launch/patient patient/Observation.rs");
  await expect(developer.locator("#field-scope-error")).toHaveCount(0);
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
