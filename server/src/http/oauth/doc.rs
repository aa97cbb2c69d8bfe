//! The authorization servers' requests and answers as the OpenAPI
//! document describes them. The endpoints read forms and write JSON built
//! by the engine; these types only describe that wire format (OAuth's and
//! SMART's names, RFC 6749, 7009, 7662, 8414).
//!
//! Lengths are described in words, not as schema bounds: once the client
//! and its redirect URI are known, RFC 6749 §4.1.2.1 sends a refusal back
//! to the app as a redirect, not as a 4xx.

#![allow(dead_code)] // read by the OpenAPI derive only

use utoipa::ToSchema;

/// An OAuth error (RFC 6749 §5.2).
#[derive(ToSchema)]
#[schema(as = OAuthError)]
pub struct OAuthErrorBody {
    /// An RFC 6749 error code, such as `invalid_request` or `invalid_client`.
    error: String,
    /// What went wrong, for the developer.
    error_description: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

/// A token request. The client authenticates with HTTP Basic,
/// `client_id` and `client_secret` in the form, a client assertion
/// (`private_key_jwt`), or, as a public client, `client_id` alone.
#[derive(ToSchema)]
#[schema(as = TokenRequest)]
pub struct TokenForm {
    grant_type: GrantType,
    /// `authorization_code`: the code the redirect carried.
    code: Option<String>,
    /// `authorization_code`: the redirect URI the authorization named.
    redirect_uri: Option<String>,
    /// `authorization_code`: the PKCE verifier (RFC 7636, 43 to 128
    /// characters).
    code_verifier: Option<String>,
    /// `refresh_token`: the refresh token.
    refresh_token: Option<String>,
    /// Space-separated SMART scopes; a narrower set than granted.
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    client_assertion_type: Option<String>,
    /// A JWT signed by one of the client's registered keys (RS384 or
    /// ES384), with `iss` and `sub` the client id and `aud` this token
    /// endpoint.
    client_assertion: Option<String>,
}

/// The token endpoint's answer (RFC 6749 §5.1) with SMART's launch
/// context.
#[derive(ToSchema)]
#[schema(as = TokenResponse)]
pub struct TokenAnswer {
    access_token: String,
    /// `Bearer`.
    token_type: String,
    expires_in: i64,
    scope: String,
    refresh_token: Option<String>,
    id_token: Option<String>,
    /// Launch context: the patient in context.
    patient: Option<String>,
    encounter: Option<String>,
    need_patient_banner: Option<bool>,
    smart_style_url: Option<String>,
    #[schema(rename = "fhirContext")]
    fhir_context: Option<Vec<serde_json::Value>>,
}

/// An introspection request: the token, and optionally a hint.
#[derive(ToSchema)]
pub struct IntrospectionForm {
    token: String,
    token_type_hint: Option<String>,
}

/// A revocation request: the token, and the client's credentials when
/// the client (not the tenant's key) revokes.
#[derive(ToSchema)]
pub struct RevocationForm {
    token: String,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// What a token is (RFC 7662 §2.2); only `active` when it is not live.
#[derive(ToSchema)]
pub struct IntrospectionAnswer {
    active: bool,
    scope: Option<String>,
    client_id: Option<String>,
    token_type: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<serde_json::Value>,
    jti: Option<String>,
    patient: Option<String>,
    encounter: Option<String>,
    #[schema(rename = "fhirUser")]
    fhir_user: Option<String>,
}

/// Authorization server metadata (RFC 8414 §2); more members may follow.
#[derive(ToSchema)]
pub struct ServerMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    introspection_endpoint: String,
    revocation_endpoint: String,
    grant_types_supported: Vec<String>,
    response_types_supported: Vec<String>,
    token_endpoint_auth_methods_supported: Vec<String>,
    scopes_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
}

/// The SMART configuration (SMART App Launch 2.2): the server metadata
/// and the SMART capabilities.
#[derive(ToSchema)]
pub struct SmartConfiguration {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    grant_types_supported: Vec<String>,
    token_endpoint_auth_methods_supported: Vec<String>,
    scopes_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
    capabilities: Vec<String>,
}

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(ToSchema)]
pub struct Jwks {
    keys: Vec<serde_json::Value>,
}

/// An authorization request (RFC 6749 §4.1.1, SMART App Launch 2.2),
/// in the query (`GET`) or as a form (`POST`).
#[derive(ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeRequest {
    /// `code`.
    response_type: String,
    client_id: String,
    /// Exactly as registered.
    redirect_uri: String,
    /// Space-separated SMART scopes.
    scope: Option<String>,
    /// Returned unchanged; at most 1,024 characters.
    state: String,
    /// The FHIR server the app will call: one of the tenant's FHIR base
    /// URLs, or the issuer.
    aud: String,
    /// PKCE (RFC 7636): the S256 challenge.
    code_challenge: String,
    /// `S256`; `plain` is refused.
    code_challenge_method: String,
    /// EHR launch: the opaque value the EHR passed to the app.
    launch: Option<String>,
    /// OpenID Connect: echoed in the id token; at most 255 characters.
    nonce: Option<String>,
}
