//! What a tenant's authorization server says about itself: the SMART
//! configuration (`.well-known/smart-configuration`, SMART App Launch 2.2)
//! and the authorization server metadata (RFC 8414, also served as
//! `.well-known/openid-configuration`). Only what works is listed.

use serde_json::{json, Value};

use super::Issuer;

/// The SMART capabilities this server has.
pub const CAPABILITIES: &[&str] = &[
    "client-confidential-asymmetric",
    "permission-v1",
    "permission-v2",
];

pub const GRANT_TYPES: &[&str] = &["client_credentials"];

/// How clients authenticate at the token endpoint.
pub const CLIENT_AUTH_METHODS: &[&str] = &["private_key_jwt"];

/// What a client assertion may be signed with (SMART Backend Services).
pub const ASSERTION_ALGS: &[&str] = &["RS384", "ES384"];

/// PKCE: `S256` only; `plain` never.
pub const CODE_CHALLENGE_METHODS: &[&str] = &["S256"];

/// Scopes a backend service may ask for, beside narrower ones of the same
/// forms (`system/Observation.rs`).
const SCOPES: &[&str] = &[
    "system/*.rs",
    "system/*.cruds",
    "system/*.read",
    "system/*.write",
    "system/*.*",
];

/// `.well-known/smart-configuration`.
pub fn smart_configuration(issuer: &Issuer) -> Value {
    json!({
        "token_endpoint": issuer.token_endpoint(),
        "jwks_uri": issuer.endpoint("oauth/jwks"),
        "introspection_endpoint": issuer.endpoint("oauth/introspect"),
        "revocation_endpoint": issuer.endpoint("oauth/revoke"),
        "grant_types_supported": GRANT_TYPES,
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "scopes_supported": SCOPES,
        "code_challenge_methods_supported": CODE_CHALLENGE_METHODS,
        "capabilities": CAPABILITIES,
    })
}

/// RFC 8414 authorization server metadata.
pub fn server_metadata(issuer: &Issuer) -> Value {
    json!({
        "issuer": issuer.url,
        "token_endpoint": issuer.token_endpoint(),
        "jwks_uri": issuer.endpoint("oauth/jwks"),
        "introspection_endpoint": issuer.endpoint("oauth/introspect"),
        "revocation_endpoint": issuer.endpoint("oauth/revoke"),
        "grant_types_supported": GRANT_TYPES,
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "scopes_supported": SCOPES,
        "code_challenge_methods_supported": CODE_CHALLENGE_METHODS,
    })
}
