import { APIRequestContext, expect, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as oidc from "openid-client";
import { audit, developerApi } from "./support";

// SMART apps launched against a tenant's built-in authorization server by
// real client libraries: openid-client (authorization code with PKCE,
// refresh token rotation) and fhirclient in a browser page (standalone
// and EHR launch). Each signs in as one of the tenant's end users and
// consents on Sidecar's pages.

const tenant = "sandbox-acme-health-apps";
const password = "quiet harbour lantern 42";

/** An end user of the sandbox's authorization server. */
async function endUser(request: APIRequestContext, api: Record<string, string>, fhirUser: string): Promise<string> {
  const username = `e2e-${fhirUser.split("/")[0].toLowerCase()}-${Date.now()}`;
  const made = await request.post(`/api/v1/tenants/${tenant}/users`, {
    headers: api,
    data: { username, password, fhirUser },
  });
  expect(made.status(), await made.text()).toBe(201);
  return username;
}

/** Registers a public SMART app, installs it in the sandbox: its client id. */
async function smartApp(
  request: APIRequestContext,
  api: Record<string, string>,
  name: string,
  redirectUri: string,
  launchUrl: string,
): Promise<string> {
  const slug = `${name}-${Date.now()}`;
  const created = await request.post("/api/v1/publisher/apps", {
    headers: api,
    data: {
      publisher: "acme-health-apps",
      slug,
      client_name: `E2E ${name}`,
      redirect_uris: [redirectUri],
      launch_url: launchUrl,
      scope: "launch launch/patient openid fhirUser offline_access patient/*.rs user/Practitioner.rs",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      launch_types: ["ehr", "standalone"],
      fhir_versions: ["4.0.1"],
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const installed = await request.post(`/api/v1/tenants/${tenant}/installs`, {
    headers: api,
    data: { app: slug, scope: "launch launch/patient openid fhirUser offline_access patient/*.rs" },
  });
  expect(installed.status(), await installed.text()).toBe(201);
  return (await installed.json()).client_id;
}

/** Signs in on Sidecar's page and allows the app. */
async function signInAndAllow(page: Page, username: string) {
  await expect(page.getByRole("heading", { name: /^Sign in to/ })).toBeVisible();
  await audit(page, "the sign-in page");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: /^Allow E2E/ })).toBeVisible();
  await audit(page, "the consent page");
  await page.getByRole("button", { name: "Allow" }).click();
}

test("openid-client: authorization code with PKCE, then refresh with rotation", async ({ page, request, baseURL }) => {
  const api = await developerApi(page, "smart launch e2e");
  const redirectUri = `${baseURL}/e2e/callback`;
  const clientId = await smartApp(request, api, "oidc-app", redirectUri, `${baseURL}/e2e/launch`);
  const patientId = `p${Date.now()}`;
  const username = await endUser(request, api, `Patient/${patientId}`);

  const issuer = new URL(`${baseURL}/t/${tenant}`);
  const config = await oidc.discovery(issuer, clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "launch/patient openid fhirUser offline_access patient/Observation.rs",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    aud: issuer.href,
  });
  await page.goto(url.href);
  await signInAndAllow(page, username);
  await page.waitForURL((u) => u.href.startsWith(redirectUri));

  // The library checks state, `iss` (RFC 9207), the id token and nonce.
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  expect(tokens.scope).toBe("launch/patient openid fhirUser offline_access patient/Observation.rs");
  expect(tokens.patient).toBe(patientId);
  expect(String(tokens.claims()!.fhirUser)).toMatch(new RegExp(`Patient/${patientId}$`));
  expect(tokens.expiresIn()).toBeLessThanOrEqual(3600);

  // Refresh: a new refresh token each time; the spent one revokes them all.
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: "patient/Observation.rs offline_access" });
  expect(refreshed.scope).toBe("patient/Observation.rs offline_access");
  expect(refreshed.refresh_token).toBeTruthy();
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
  await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });

  // Without PKCE there is no code: the error goes back to the app.
  const noPkce = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: "openid", state, aud: issuer.href });
  await page.goto(noPkce.href);
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  const back = new URL(page.url()).searchParams;
  expect(back.get("error")).toBe("invalid_request");
  expect(back.get("code")).toBeNull();
});

/** A SMART app's pages on a loopback port, using fhirclient's browser bundle. */
async function fhirclientApp(): Promise<{ origin: string; configure: (clientId: string) => void; close: () => Promise<void> }> {
  const bundle = fs.readFileSync(require.resolve("fhirclient/build/fhir-client.js"));
  let clientId = "";
  const scope = {
    ehr: "launch openid fhirUser patient/*.rs",
    standalone: "launch/patient openid fhirUser patient/*.rs",
  };
  const pages = (origin: string): Record<string, string> => ({
    // The EHR opens this with `iss` and `launch`.
    "/launch.html": `FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId)}, scope: ${JSON.stringify(scope.ehr)}, redirectUri: "${origin}/app.html" });`,
    // Standalone: the app knows its server.
    "/standalone.html": `FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId)}, scope: ${JSON.stringify(scope.standalone)}, redirectUri: "${origin}/app.html", iss: new URLSearchParams(location.search).get("server") });`,
    "/app.html": `FHIR.oauth2.ready().then(function (client) {
        var t = client.state.tokenResponse;
        document.getElementById("out").textContent = JSON.stringify({ patient: client.patient.id, encounter: client.encounter.id, user: client.getFhirUser(), scope: t.scope, banner: t.need_patient_banner });
      }, function (e) { document.getElementById("out").textContent = "error: " + e.message; });`,
  });
  const server = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/fhir-client.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      return;
    }
    const script = pages(origin)[path];
    if (!script) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8" })
      .end(`<!DOCTYPE html><title>E2E app</title><script src="/fhir-client.js"></script><pre id="out">loading</pre><script>${script}</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    configure: (id) => {
      clientId = id;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test("fhirclient: a standalone launch and an EHR launch", async ({ page, request, baseURL }) => {
  const app = await fhirclientApp();
  try {
    const api = await developerApi(page, "fhirclient e2e");
    const clientId = await smartApp(request, api, "fhirclient-app", `${app.origin}/app.html`, `${app.origin}/launch.html`);
    app.configure(clientId);
    const issuer = `${baseURL}/t/${tenant}`;

    // Standalone, as a practitioner who picks the patient.
    const doctor = `d${Date.now()}`;
    const doctorName = await endUser(request, api, `Practitioner/${doctor}`);
    await page.goto(`${app.origin}/standalone.html?server=${encodeURIComponent(issuer)}`);
    await expect(page.getByRole("heading", { name: /^Sign in to/ })).toBeVisible();
    await page.getByLabel("Username").fill(doctorName);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("Patient").fill("chosen-7");
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(`${app.origin}/app.html**`);
    await expect(page.locator("#out")).not.toHaveText("loading");
    const standalone = JSON.parse((await page.locator("#out").textContent())!);
    expect(standalone.patient).toBe("chosen-7");
    expect(standalone.user).toBe(`Practitioner/${doctor}`);
    expect(standalone.scope).toBe("launch/patient openid fhirUser patient/*.rs");

    // EHR launch: the EHR makes the context, then opens the launch URL.
    const key = await request.post(`/api/v1/tenants/${tenant}/keys`, {
      headers: api,
      data: { name: `fhirclient e2e ${Date.now()}`, scopes: ["launch:write"] },
    });
    expect(key.status(), await key.text()).toBe(201);
    const launch = await request.post("/api/v1/launches", {
      headers: { Authorization: `Bearer ${(await key.json()).key}` },
      data: { client_id: clientId, patient: "ehr-42", encounter: "visit-9", need_patient_banner: false, fhirUser: `Practitioner/${doctor}` },
    });
    expect(launch.status(), await launch.text()).toBe(201);
    const value: string = (await launch.json()).launch;
    const launchUrl = `${app.origin}/launch.html?iss=${encodeURIComponent(issuer)}&launch=${encodeURIComponent(value)}`;
    await page.goto(launchUrl);
    await signInAndAllow(page, doctorName);
    await page.waitForURL(`${app.origin}/app.html**`);
    await expect(page.locator("#out")).not.toHaveText("loading");
    const ehr = JSON.parse((await page.locator("#out").textContent())!);
    expect(ehr).toMatchObject({ patient: "ehr-42", encounter: "visit-9", user: `Practitioner/${doctor}`, banner: false });
    expect(ehr.scope).toBe("launch openid fhirUser patient/*.rs");

    // The launch was good once: opening it again gives the app an error.
    await page.goto(launchUrl);
    await page.waitForURL(`${app.origin}/app.html**`);
    await expect(page.locator("#out")).toHaveText(/error/);
  } finally {
    await app.close();
  }
});
