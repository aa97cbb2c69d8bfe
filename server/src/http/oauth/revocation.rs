//! Introspection (RFC 7662) and revocation (RFC 7009).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::TokenScope;
use engine::authz::tokens::TokenRequest;
use engine::authz::{Issuer, OAuthError};
use serde::Deserialize;

use super::doc::{IntrospectionAnswer, IntrospectionForm, OAuthErrorBody, RevocationForm};
use super::token::with_basic;
use super::{issuer, no_store, OAuthForm, Refusal};
use crate::http::authorize::ClientAddr;
use crate::http::AppState;

/// The tenant API key with `introspect` of this very tenant.
async fn tenant_key(state: &AppState, headers: &HeaderMap, issuer: &Issuer) -> Result<(), Refusal> {
    let unauthorized = |m: &str| Refusal(OAuthError::new(401, "invalid_client", m.to_owned()));
    let key = crate::api::bearer_token(headers).ok_or_else(|| {
        unauthorized(
            "Authenticate with the tenant's API key: `Authorization: Bearer <key>` (scope `introspect`).",
        )
    })?;
    let principal = state
        .engine
        .authenticate_tenant_key(key)
        .await
        .map_err(|_| unauthorized("The API key is unknown, expired or revoked."))?;
    if principal.tenant_id != issuer.tenant_id {
        return Err(unauthorized("The API key is not one of this tenant's."));
    }
    principal.require(TokenScope::Introspect).map_err(|_| {
        Refusal(OAuthError::new(
            403,
            "insufficient_scope",
            "The API key lacks the `introspect` scope.",
        ))
    })
}

/// The form both endpoints read (described as `IntrospectionForm` and
/// `RevocationForm`).
#[derive(Deserialize)]
pub struct TokenParams {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn the_token(form: &TokenParams) -> Result<&str, Refusal> {
    form.token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Refusal(OAuthError::invalid_request("`token` is missing.")))
}

/// RFC 7662, for the tenant's resource servers (its EHR).
#[utoipa::path(
    post,
    path = "/t/{tenant}/oauth/introspect",
    operation_id = "oauth_introspect",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body(content = IntrospectionForm, content_type = "application/x-www-form-urlencoded"),
    security(("tenant_key" = [])),
    responses(
        (status = 200, body = IntrospectionAnswer, description = "What the token is, or exactly `{\"active\": false}`."),
        (status = "default", body = OAuthErrorBody, description = "Refused: `invalid_client` (401) without this tenant's key, `insufficient_scope` (403) without `introspect`, `invalid_request` (400), 404 for no such tenant."),
    ),
)]
pub async fn introspect(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm<TokenParams>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    tenant_key(&state, &headers, &issuer).await?;
    let token = the_token(&form)?;
    let answer = state.engine.introspect(&issuer, token).await?;
    Ok((no_store(), Json(answer)).into_response())
}

/// RFC 7009: by the client the token was issued to (authenticated as at
/// the token endpoint), or by the tenant's API key with `introspect`.
#[utoipa::path(
    post,
    path = "/t/{tenant}/oauth/revoke",
    operation_id = "oauth_revoke",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body(content = RevocationForm, content_type = "application/x-www-form-urlencoded"),
    security(("tenant_key" = []), ("client_basic" = []), ()),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke (RFC 7009 §2.2)."),
        (status = "default", body = OAuthErrorBody, description = "Refused: `invalid_client` (401), `invalid_request` (400), `insufficient_scope` (403), 404 for no such tenant, 429 after repeated failures."),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm<TokenParams>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    let client_id = if crate::api::bearer_token(&headers).is_some() {
        tenant_key(&state, &headers, &issuer).await?;
        None
    } else {
        let mut credentials = TokenRequest {
            client_assertion_type: form.client_assertion_type.clone(),
            client_assertion: form.client_assertion.clone(),
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            from: Some(from),
            ..TokenRequest::default()
        };
        with_basic(&headers, &mut credentials)?;
        let client = state
            .engine
            .authenticate_revoking_client(&issuer, &credentials)
            .await?;
        Some(client.client_id.clone())
    };
    let token = the_token(&form)?;
    state
        .engine
        .revoke_token(&issuer, client_id.as_deref(), token)
        .await?;
    Ok((StatusCode::OK, no_store()).into_response())
}
