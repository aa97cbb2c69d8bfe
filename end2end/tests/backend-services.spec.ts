import { expect, test } from "@playwright/test";
import * as oidc from "openid-client";
import { developerApi } from "./support";

// A backend service registered by its developer, installed in the
// publisher's sandbox, gets a token from the sandbox's authorization
// server through a real OAuth client library (openid-client), which
// discovers the server, signs its own client assertion and checks the
// answers itself.
test("a backend service gets a token through openid-client with private_key_jwt", async ({ page, request, baseURL }) => {
  const api = await developerApi(page, "backend services e2e");

  // The service's key pair; only the public half is registered.
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicJwk = { ...(await crypto.subtle.exportKey("jwk", keys.publicKey)), kid: "e2e-1", alg: "ES384", use: "sig" };
  delete (publicJwk as { key_ops?: unknown }).key_ops;
  delete (publicJwk as { ext?: unknown }).ext;

  const slug = `nightly-export-${Date.now()}`;
  const created = await request.post("/api/v1/publisher/apps", {
    headers: api,
    data: {
      publisher: "acme-health-apps",
      slug,
      client_name: "Nightly Export",
      scope: "system/Patient.rs system/Observation.rs",
      token_endpoint_auth_method: "private_key_jwt",
      grant_types: ["client_credentials"],
      jwks: { keys: [publicJwk] },
      launch_types: ["backend"],
      fhir_versions: ["4.0.1"],
      audience: ["backend"],
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const tenant = "sandbox-acme-health-apps";
  const installed = await request.post(`/api/v1/tenants/${tenant}/installs`, {
    headers: api,
    data: { app: slug, scope: "system/Patient.rs" },
  });
  expect(installed.status(), await installed.text()).toBe(201);
  const clientId: string = (await installed.json()).client_id;

  const issuer = new URL(`${baseURL}/t/${tenant}`);
  const config = await oidc.discovery(issuer, clientId, undefined, oidc.PrivateKeyJwt({ key: keys.privateKey, kid: "e2e-1" }), {
    execute: [oidc.allowInsecureRequests],
  });
  expect(config.serverMetadata().token_endpoint).toBe(`${issuer.href}/oauth/token`);

  const tokens = await oidc.clientCredentialsGrant(config, { scope: "system/Patient.rs system/Observation.rs" });
  expect(tokens.token_type.toLowerCase()).toBe("bearer");
  // Observation was asked for but not granted.
  expect(tokens.scope).toBe("system/Patient.rs");
  expect(tokens.expiresIn()).toBeLessThanOrEqual(300);

  // The client library signs a new assertion for each request, so a second
  // token comes too; its assertions are never accepted twice.
  const again = await oidc.clientCredentialsGrant(config, { scope: "system/Patient.rs" });
  expect(again.access_token).not.toBe(tokens.access_token);

  // Asking for nothing granted is refused with the OAuth error code.
  await expect(oidc.clientCredentialsGrant(config, { scope: "system/Condition.rs" })).rejects.toMatchObject({ error: "invalid_scope" });
});
