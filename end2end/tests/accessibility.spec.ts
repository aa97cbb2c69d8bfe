import { Browser, expect, Page, test } from "@playwright/test";
import { audit, developerApi, failOnConsoleErrors, hydrated, logIn } from "./support";

// Every page of every role, audited by axe-core (no serious or critical
// violation) at a desktop width and at 360 px (no sideways scrolling).

const WIDTHS = [1280, 360];

const accounts = {
  developer: ["developer@sidecar.test", "demo-developer-pivot-42"],
  reviewer: ["reviewer@sidecar.test", "demo-reviewer-orchard-42"],
  admin: ["admin@sidecar.test", "demo-admin-lantern-42"],
  tenantAdmin: ["tenant-admin@sidecar.test", "demo-tenant-harbor-42"],
} as const;

/** Visits each path at each width, signed in as `who` (or not), and audits it. */
async function auditPages(
  { browser, baseURL }: { browser: Browser; baseURL?: string },
  who: keyof typeof accounts | null,
  paths: string[],
  { hydrates = true, answersWithError = false } = {},
) {
  for (const width of WIDTHS) {
    const context = await browser.newContext({ baseURL, viewport: { width, height: 900 } });
    const page = await context.newPage();
    // A page that answers 4xx on purpose logs that status in the console.
    const noErrors = answersWithError ? () => {} : failOnConsoleErrors(page);
    if (who) {
      const [email, password] = accounts[who];
      await logIn(page, email, password, "/account");
    }
    for (const path of paths) {
      await page.goto(path);
      if (hydrates) await hydrated(page);
      await audit(page, `${path} (${who ?? "visitor"}, ${width}px)`);
    }
    noErrors();
    await context.close();
  }
}

/** A submission waiting in the review queue: its id. */
async function pendingSubmission(page: Page): Promise<string> {
  const api = await developerApi(page, `a11y-${Date.now()}`);
  const slug = `a11y-${Date.now()}`;
  const created = await page.request.post("/api/v1/publisher/apps", {
    headers: api,
    data: {
      publisher: "acme-health-apps",
      slug,
      client_name: "Accessible Vitals",
      redirect_uris: ["https://vitals.example.org/callback"],
      launch_url: "https://vitals.example.org/launch",
      scope: "launch openid fhirUser patient/Observation.rs",
      launch_types: ["ehr"],
      fhir_versions: ["R4"],
      tagline: "Vital signs at a glance",
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const submitted = await page.request.post(`/api/v1/publisher/apps/${slug}/submit`, { headers: api });
  expect(submitted.status(), await submitted.text()).toBeLessThan(300);
  return (await submitted.json()).id;
}

test("visitors' pages", async ({ browser, baseURL }) => {
  await auditPages({ browser, baseURL }, null, [
    "/",
    "/apps",
    "/apps?q=chart",
    "/apps/growth-charts",
    "/signup",
    "/login",
    "/forgot-password",
    "/reset-password?token=not-a-token",
    "/verify-email?token=not-a-token",
  ]);
});

test("pages that answer with an error", async ({ browser, baseURL }) => {
  await auditPages({ browser, baseURL }, null, ["/no-such-page"], { answersWithError: true });
  // The authorization server's refusal page is plain HTML: nothing hydrates.
  await auditPages({ browser, baseURL }, null, ["/t/demo-health/oauth/authorize?client_id=unknown"], {
    hydrates: false,
    answersWithError: true,
  });
});

test("developers' pages", async ({ browser, baseURL }) => {
  await auditPages({ browser, baseURL }, "developer", [
    "/account",
    "/account/tenant-applications",
    "/dev",
    "/dev/apps/growth-charts",
    "/dev/publishers/acme-health-apps",
    "/t/sandbox-acme-health-apps/admin",
  ]);
});

test("reviewers' pages", async ({ browser, baseURL }) => {
  const setup = await browser.newPage({ baseURL });
  const id = await pendingSubmission(setup);
  await setup.close();
  await auditPages({ browser, baseURL }, "reviewer", ["/review", `/review/${id}`]);
});

test("the platform admin's pages", async ({ browser, baseURL }) => {
  await auditPages({ browser, baseURL }, "admin", ["/admin"]);
});

test("tenant admins' pages", async ({ browser, baseURL }) => {
  await auditPages({ browser, baseURL }, "tenantAdmin", ["/t/demo-health/admin", "/t/demo-health/admin/install/growth-charts"]);
});
