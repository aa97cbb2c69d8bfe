"""A second, independent RFC 7591/7592 server for Sidecar's provisioning
tests, built on Authlib's ClientRegistrationEndpoint and
ClientConfigurationEndpoint (Flask), on loopback:

    python3 server.py <port> [initial-access-token] [issuer]

Unlike oidc-provider it publishes only RFC 8414 metadata
(/.well-known/oauth-authorization-server), keeps the registration access
token across updates, and issues tokens by client_credentials with
client_secret_basic or client_secret_post. GET /test/clients lists every
client it holds and DELETE /test/clients/<id> removes one behind the
registrant's back (the tests' view of the server, not part of Authlib).
"""

import os
import secrets
import sys

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

from flask import Flask, jsonify, request  # noqa: E402
from authlib.integrations.flask_oauth2 import AuthorizationServer  # noqa: E402
from authlib.oauth2.rfc6749 import ClientMixin, grants  # noqa: E402
from authlib.oauth2.rfc6749.util import scope_to_list, list_to_scope  # noqa: E402
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint  # noqa: E402
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint  # noqa: E402

PORT = int(sys.argv[1])
INITIAL_ACCESS_TOKEN = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
ISSUER = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else f"http://127.0.0.1:{PORT}"

SCOPES = [
    "openid", "offline_access", "fhirUser", "launch", "launch/patient",
    "patient/*.rs", "patient/Observation.rs", "patient/Patient.rs",
    "user/*.rs", "system/*.rs",
]
METADATA = {
    "issuer": ISSUER,
    "token_endpoint": f"{ISSUER}/token",
    "registration_endpoint": f"{ISSUER}/register",
    "scopes_supported": SCOPES,
    "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
    "response_types_supported": ["code"],
    "token_endpoint_auth_methods_supported": [
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none",
    ],
}

CLIENTS = {}
# registration access token -> client id
REGISTRATION_TOKENS = {}


class Client(ClientMixin):
    def __init__(self, info, metadata):
        self.client_info = info
        self.client_metadata = metadata

    def get_client_id(self):
        return self.client_info["client_id"]

    def get_default_redirect_uri(self):
        uris = self.client_metadata.get("redirect_uris") or []
        return uris[0] if uris else None

    def get_allowed_scope(self, scope):
        allowed = set(scope_to_list(self.client_metadata.get("scope", "")))
        return list_to_scope([s for s in scope_to_list(scope or "") if s in allowed])

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in (self.client_metadata.get("redirect_uris") or [])

    def check_client_secret(self, client_secret):
        stored = self.client_info.get("client_secret")
        return bool(stored) and secrets.compare_digest(stored, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == "token":
            wanted = self.client_metadata.get("token_endpoint_auth_method", "client_secret_basic")
            return method == wanted or (
                wanted.startswith("client_secret") and method.startswith("client_secret")
            )
        return True

    def check_response_type(self, response_type):
        return response_type in (self.client_metadata.get("response_types") or ["code"])

    def check_grant_type(self, grant_type):
        return grant_type in (self.client_metadata.get("grant_types") or ["authorization_code"])


class RegistrationToken:
    def __init__(self, client_id):
        self.client_id = client_id

    def check_client(self, client):
        return self.client_id == client.get_client_id()


def bearer():
    auth = request.headers.get("Authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def registration_info(client):
    token = next(t for t, c in REGISTRATION_TOKENS.items() if c == client.get_client_id())
    return {
        "registration_client_uri": f"{ISSUER}/register/{client.get_client_id()}",
        "registration_access_token": token,
    }


class Registration(ClientRegistrationEndpoint):
    def authenticate_token(self, req):
        if INITIAL_ACCESS_TOKEN is None:
            return True
        return bearer() == INITIAL_ACCESS_TOKEN

    def get_server_metadata(self):
        return METADATA

    def save_client(self, client_info, client_metadata, req):
        client = Client(client_info, client_metadata)
        CLIENTS[client.get_client_id()] = client
        REGISTRATION_TOKENS[secrets.token_urlsafe(32)] = client.get_client_id()
        return client

    def generate_client_registration_info(self, client, req):
        return registration_info(client)


class Configuration(ClientConfigurationEndpoint):
    def authenticate_token(self, req):
        client_id = REGISTRATION_TOKENS.get(bearer() or "")
        return RegistrationToken(client_id) if client_id else None

    def authenticate_client(self, req):
        client_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        return CLIENTS.get(client_id)

    def revoke_access_token(self, req, token):
        for t, c in list(REGISTRATION_TOKENS.items()):
            if c == token.client_id:
                del REGISTRATION_TOKENS[t]

    def check_permission(self, client, req):
        return True

    def delete_client(self, client, req):
        CLIENTS.pop(client.get_client_id(), None)
        self.revoke_access_token(req, RegistrationToken(client.get_client_id()))

    def update_client(self, client, client_metadata, req):
        client.client_metadata = client_metadata
        return client

    def generate_client_registration_info(self, client, req):
        return registration_info(client)

    def get_server_metadata(self):
        return METADATA


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


app = Flask(__name__)
server = AuthorizationServer(
    app,
    query_client=CLIENTS.get,
    save_token=lambda token, req: None,
)
server.register_grant(ClientCredentials)
server.register_endpoint(Registration)
server.register_endpoint(Configuration)


@app.get("/.well-known/oauth-authorization-server")
def metadata():
    return jsonify(METADATA)


@app.post("/register")
def register():
    return server.create_endpoint_response("client_registration")


@app.route("/register/<client_id>", methods=["GET", "PUT", "DELETE"])
def configure(client_id):
    return server.create_endpoint_response("client_configuration")


@app.post("/token")
def token():
    return server.create_token_response()


@app.get("/test/clients")
def test_clients():
    return jsonify([
        {**c.client_info, **c.client_metadata}
        for c in CLIENTS.values()
    ])


@app.delete("/test/clients/<client_id>")
def test_delete(client_id):
    CLIENTS.pop(client_id, None)
    return "", 204


if __name__ == "__main__":
    print("ready", flush=True)
    app.run(host="127.0.0.1", port=PORT, threaded=True)
