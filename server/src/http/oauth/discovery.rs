//! What each tenant's authorization server says about itself, and its
//! signing keys: open to any origin, cacheable for five minutes.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::authz::discovery;

use super::doc::{Jwks, OAuthErrorBody, ServerMetadata, SmartConfiguration};
use super::{issuer, Refusal};
use crate::http::AppState;

/// Discovery and keys: any origin may read them, and caches may keep
/// them for five minutes.
fn public_json(body: serde_json::Value) -> Response {
    (
        [
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        Json(body),
    )
        .into_response()
}

async fn metadata(state: &AppState, slug: &str) -> Result<Response, Refusal> {
    let issuer = issuer(state, slug).await?;
    Ok(public_json(discovery::server_metadata(&issuer)))
}

/// The SMART configuration (SMART App Launch 2.2 §"Discovery").
#[utoipa::path(
    get,
    path = "/t/{tenant}/.well-known/smart-configuration",
    operation_id = "smart_configuration",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug; its issuer is `{PUBLIC_URL}/t/{tenant}`.")),
    responses(
        (status = 200, body = SmartConfiguration, description = "The endpoints and capabilities."),
        (status = "default", body = OAuthErrorBody, description = "No such tenant (404)."),
    ),
)]
pub async fn smart_configuration(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    Ok(public_json(discovery::smart_configuration(&issuer)))
}

/// OpenID Connect discovery: the same metadata as RFC 8414's document.
#[utoipa::path(
    get,
    path = "/t/{tenant}/.well-known/openid-configuration",
    operation_id = "openid_configuration",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses(
        (status = 200, body = ServerMetadata, description = "The server's metadata."),
        (status = "default", body = OAuthErrorBody, description = "No such tenant (404)."),
    ),
)]
pub async fn openid_configuration(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    metadata(&state, &slug).await
}

/// Authorization server metadata (RFC 8414).
#[utoipa::path(
    get,
    path = "/t/{tenant}/.well-known/oauth-authorization-server",
    operation_id = "oauth_authorization_server",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses(
        (status = 200, body = ServerMetadata, description = "The server's metadata."),
        (status = "default", body = OAuthErrorBody, description = "No such tenant (404)."),
    ),
)]
pub async fn oauth_authorization_server(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    metadata(&state, &slug).await
}

/// The public keys that verify the tenant's tokens, retired ones
/// included until their tokens expire.
#[utoipa::path(
    get,
    path = "/t/{tenant}/oauth/jwks",
    operation_id = "oauth_jwks",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses(
        (status = 200, body = Jwks, content_type = "application/jwk-set+json", description = "A JSON Web Key Set (RFC 7517)."),
        (status = "default", body = OAuthErrorBody, description = "No such tenant (404)."),
    ),
)]
pub async fn jwks(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    let keys = state.engine.tenant_signing_keys(&issuer.tenant_id).await?;
    let mut response = public_json(keys.jwks.clone());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    Ok(response)
}
