// The reference authorization server of the token benchmark: oidc-provider
// configured for the work Sidecar does there. `backend` authenticates with
// private_key_jwt (RS384 or ES384) and gets JWT access tokens (ES256) through the
// resourceIndicators feature; `backend-opaque` gets opaque ones, because
// oidc-provider does not keep JWT access tokens and so cannot introspect
// them; `resource-server` introspects with a client secret.
//
//   node server.mjs <port> <client public JWK set, as JSON>
import Provider from "oidc-provider";
import * as jose from "jose";

const [port, clientJwks] = [Number(process.argv[2]), JSON.parse(process.argv[3])];
const issuer = `http://127.0.0.1:${port}`;
const resource = "https://fhir.example.org/r4";
const scope = "system/Patient.rs";

const { privateKey } = await jose.generateKeyPair("ES256", { extractable: true });
const signing = { ...(await jose.exportJWK(privateKey)), alg: "ES256", use: "sig", kid: "bench-es256" };

const backend = (client_id) => ({
  client_id,
  token_endpoint_auth_method: "private_key_jwt",
  grant_types: ["client_credentials"],
  response_types: [],
  redirect_uris: [],
  jwks: clientJwks,
  scope,
  id_token_signed_response_alg: "ES256",
});

const provider = new Provider(issuer, {
  clients: [
    backend("backend"),
    backend("backend-opaque"),
    {
      client_id: "resource-server",
      client_secret: "a resource server secret that is long enough",
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "ES256",
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [signing] },
  scopes: [scope],
  enabledJWA: { clientAuthSigningAlgValues: ["ES384", "RS384"] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator, client) => ({
        scope,
        accessTokenTTL: 300,
        ...(client.clientId === "backend-opaque"
          ? { accessTokenFormat: "opaque" }
          : { accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } }),
      }),
    },
  },
});
provider.listen(port, "127.0.0.1", () => console.log(`listening on ${issuer}`));
