//! What a tenant's authorization server says about itself: the SMART
//! configuration (`.well-known/smart-configuration`, SMART App Launch 2.2)
//! and the authorization server metadata (RFC 8414, also served as
//! `.well-known/openid-configuration`). Only what works is listed.

use serde_json::{json, Value};

use super::Issuer;

/// The SMART capabilities this server has.
pub const CAPABILITIES: &[&str] = &[
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
];

pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// How clients authenticate at the token endpoint.
pub const CLIENT_AUTH_METHODS: &[&str] = &[
    "private_key_jwt",
    "client_secret_basic",
    "client_secret_post",
    "none",
];

/// What a client assertion may be signed with (SMART Backend Services).
pub const ASSERTION_ALGS: &[&str] = &["RS384", "ES384"];

/// PKCE: `S256` only; `plain` never.
pub const CODE_CHALLENGE_METHODS: &[&str] = &["S256"];

/// Scopes a client may ask for, beside narrower ones of the same forms
/// (`patient/Observation.rs`, `user/Patient.r`, …).
const SCOPES: &[&str] = &[
    "openid",
    "fhirUser",
    "launch",
    "launch/patient",
    "launch/encounter",
    "offline_access",
    "online_access",
    "patient/*.rs",
    "patient/*.cruds",
    "patient/*.read",
    "user/*.rs",
    "user/*.cruds",
    "user/*.read",
    "system/*.rs",
    "system/*.cruds",
    "system/*.read",
];

/// What the endpoints are, for both documents.
fn endpoints(issuer: &Issuer) -> serde_json::Map<String, Value> {
    let Value::Object(map) = json!({
        "issuer": issuer.url,
        "authorization_endpoint": issuer.endpoint("oauth/authorize"),
        "token_endpoint": issuer.token_endpoint(),
        "jwks_uri": issuer.endpoint("oauth/jwks"),
        "introspection_endpoint": issuer.endpoint("oauth/introspect"),
        "revocation_endpoint": issuer.endpoint("oauth/revoke"),
        "grant_types_supported": GRANT_TYPES,
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "scopes_supported": SCOPES,
        "code_challenge_methods_supported": CODE_CHALLENGE_METHODS,
        "authorization_response_iss_parameter_supported": true,
    }) else {
        return serde_json::Map::new();
    };
    map
}

/// `.well-known/smart-configuration`.
pub fn smart_configuration(issuer: &Issuer) -> Value {
    let mut map = endpoints(issuer);
    map.insert("capabilities".into(), json!(CAPABILITIES));
    Value::Object(map)
}

/// RFC 8414 authorization server metadata, and OpenID Connect discovery.
pub fn server_metadata(issuer: &Issuer) -> Value {
    let mut map = endpoints(issuer);
    map.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        json!(CLIENT_AUTH_METHODS),
    );
    map.insert("subject_types_supported".into(), json!(["public"]));
    map.insert(
        "id_token_signing_alg_values_supported".into(),
        json!(["RS256"]),
    );
    map.insert("response_modes_supported".into(), json!(["query"]));
    map.insert(
        "claims_supported".into(),
        json!([
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "fhirUser"
        ]),
    );
    Value::Object(map)
}
