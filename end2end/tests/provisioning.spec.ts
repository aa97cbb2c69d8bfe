import { expect, Page, test } from "@playwright/test";
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { audit, failOnConsoleErrors, hydrated, logIn } from "./support";

// The health system's own authorization server: a real oidc-provider on
// loopback (the one the Rust tests use), started and stopped by this test.
// Sidecar under test runs with SIDECAR_ALLOW_PRIVATE_FETCH (scripts/test.sh).
const PEER = path.resolve(__dirname, "../../server/tests/peers/oidc-provider");
const IAT = "harbor-initial-access-token";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function startPeer(port: number, scopes: string): Promise<ChildProcess> {
  const child = spawn("node", ["server.mjs", String(port), IAT], {
    cwd: PEER,
    env: { ...process.env, PEER_SCOPES: scopes },
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      if (answer.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error("oidc-provider did not start");
}

async function stopPeer(child: ChildProcess) {
  const ended = new Promise((resolve) => child.once("exit", resolve));
  child.kill();
  await ended;
}

/** Reloads the console until Growth Charts' provisioning shows `state`. */
async function provisioningBecomes(page: Page, state: RegExp) {
  const install = page.locator("li.install").filter({ has: page.getByRole("heading", { name: "Growth Charts" }) });
  await expect(async () => {
    await page.reload();
    // The provisioning line's badge, not the install's own state.
    await expect(install.locator("p > .badge", { hasText: state })).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
  return install;
}

const SCOPES = "openid offline_access fhirUser launch launch/patient patient/Observation.rs";

test("a tenant admin adds their own server, installs onto it, sees its refusal and retries once it is fixed", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // Its administrators have not listed `patient/Patient.r` yet.
  let peer = await startPeer(port, SCOPES);
  try {
    await logIn(page, "tenant-admin@sidecar.test", "demo-tenant-harbor-42", "/t/demo-health/admin");
    await hydrated(page);
    const servers = page.getByRole("region", { name: "Authorization servers" });
    await servers.getByLabel("Name").fill("Harbor IdP");
    await servers.getByLabel("Issuer").fill(issuer);
    await servers.getByLabel("Initial access token (optional)").fill(IAT);
    await servers.getByRole("button", { name: "Add server" }).click();
    const row = page.getByTestId("server-Harbor IdP");
    await expect(row).toContainText("dynamic registration");
    await expect(row).toContainText("ok");

    // Install Growth Charts there.
    await page.goto("/t/demo-health/admin/install/growth-charts");
    await hydrated(page);
    await page.getByLabel("Authorization server").selectOption({ label: "Harbor IdP" });
    await page.getByRole("button", { name: "Approve and install" }).click();
    await expect(page.getByRole("status")).toContainText("Growth Charts is installed");

    // The server refuses a scope: its own words, and "Retry now".
    const refused = await provisioningBecomes(page, /rejected/);
    await expect(refused).toContainText("invalid_client_metadata");
    await expect(refused).toContainText("Harbor IdP");

    // Test connection names the scope it does not list.
    await page.getByTestId("server-Harbor IdP").getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByRole("status").or(page.getByRole("alert")).first()).toContainText("patient/Patient.r");
    await audit(page, "tenant console with a refused provisioning");

    // Its administrators list the scope; "Retry now" provisions the app.
    await stopPeer(peer);
    peer = await startPeer(port, `${SCOPES} patient/Patient.r`);
    await refused.getByRole("button", { name: "Retry now" }).click();
    const active = await provisioningBecomes(page, /active/);
    await expect(active).toContainText("client id");
    const clients = await (await fetch(`${issuer}/test/clients`)).json();
    expect(clients.filter((c: { client_name: string }) => c.client_name.startsWith("Growth Charts [sidecar "))).toHaveLength(1);
    await audit(page, "tenant console with an active provisioning");
    errors();
  } finally {
    await stopPeer(peer);
  }
});
