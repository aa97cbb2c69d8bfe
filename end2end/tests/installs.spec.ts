import { expect, test } from "@playwright/test";
import { failOnConsoleErrors, hydrated, logIn } from "./support";

test("a tenant admin installs an app with narrowed scopes, the developer takes its secret, the EHR reads it", async ({ browser, request }) => {
  const admin = await (await browser.newContext()).newPage();
  const adminErrors = failOnConsoleErrors(admin);
  await logIn(admin, "tenant-admin@sidecar.test", "demo-tenant-harbor-42", "/apps/sepsis-watch");
  await admin.getByRole("link", { name: "Install in Demo Health System" }).click();
  await expect(admin.getByRole("heading", { name: "Install Sepsis Watch in Demo Health System" })).toBeVisible();
  await hydrated(admin);
  // Grant less than asked: no openid, no conditions, and `user/*.rs` only for encounters.
  await admin.getByLabel("Confirm who you are").uncheck();
  await admin.getByLabel("Read condition records", { exact: false }).first().uncheck();
  await admin.getByLabel("Only these resource types (optional)").fill("Encounter");
  await admin.getByRole("button", { name: "Approve and install" }).click();
  await expect(admin.getByRole("status")).toContainText("Sepsis Watch is installed");
  await admin.getByLabel("Key name").fill("Demo EHR");
  await admin.getByRole("button", { name: "Create key" }).click();
  const key = (await admin.getByTestId("new-key").textContent())!.trim();
  expect(key).toMatch(/^sdc_key_/);
  adminErrors();

  const developer = await (await browser.newContext()).newPage();
  const devErrors = failOnConsoleErrors(developer);
  await logIn(developer, "developer@sidecar.test", "demo-developer-pivot-42", "/dev/apps/sepsis-watch");
  await hydrated(developer);
  await developer.getByRole("button", { name: "New secret" }).click();
  const secret = (await developer.getByTestId("new-secret").textContent())!.trim();
  expect(secret.length).toBeGreaterThanOrEqual(43);
  devErrors();

  const response = await request.get("/api/v1/registrations", { headers: { Authorization: `Bearer ${key}` } });
  expect(response.status()).toBe(200);
  const body = await response.json();
  const registration = body.items.find((r: { app: string }) => r.app === "sepsis-watch");
  expect(registration.scope).toBe("launch fhirUser user/Patient.rs user/Observation.rs user/Encounter.rs");
  expect(registration.token_endpoint_auth_method).toBe("client_secret_basic");
  expect(registration.status).toBe("active");
  expect(JSON.stringify(body)).not.toContain(secret);
});

test("a developer installs a draft in the sandbox and it follows the next save", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await logIn(page, "developer@sidecar.test", "demo-developer-pivot-42", "/dev/apps/growth-charts");
  await hydrated(page);
  await page.getByRole("button", { name: "Install in the sandbox" }).click();
  await expect(page.getByRole("status")).toContainText("The draft is installed in Acme Health Apps sandbox");
  await expect(page.getByRole("cell", { name: "sandbox-acme-health-apps" })).toBeVisible();

  // A new scope in the draft is granted in the sandbox at once.
  await hydrated(page);
  const scopes = page.getByLabel("Scopes", { exact: true });
  await scopes.fill(`${await scopes.inputValue()} patient/Condition.rs`);
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await page.goto("/t/sandbox-acme-health-apps/admin");
  // Other tests may install into the same sandbox: look at this app's entry.
  const install = page.locator("li.install").filter({ has: page.getByRole("heading", { name: "Growth Charts" }) });
  await expect(install.getByText("the current draft")).toBeVisible();
  await install.getByText(/Granted: \d+ scopes/).click();
  await expect(install.getByText("patient/Condition.rs")).toBeVisible();
  errors();
});
