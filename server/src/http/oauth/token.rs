//! The token endpoint, with client authentication by HTTP Basic, form
//! fields or a signed assertion.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use engine::authz::tokens::TokenRequest;
use engine::authz::OAuthError;

use super::doc::{OAuthErrorBody, TokenAnswer, TokenForm};
use super::{issuer, no_store, OAuthForm, Refusal};
use crate::http::authorize::ClientAddr;
use crate::http::AppState;

/// The token endpoint (RFC 6749 §3.2): authorization codes (with the PKCE
/// verifier), refresh tokens, and SMART Backend Services'
/// `client_credentials` with a signed assertion (RFC 7523).
#[utoipa::path(
    post,
    path = "/t/{tenant}/oauth/token",
    operation_id = "oauth_token",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, body = TokenAnswer, description = "The tokens, and the launch context."),
        (status = "default", body = OAuthErrorBody, description = "Refused (RFC 6749 §5.2): `invalid_request`, `invalid_client` (401), `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`; 404 for no such tenant; 429 with `Retry-After` after repeated failures."),
    ),
)]
pub async fn token(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    OAuthForm(mut request): OAuthForm<TokenRequest>,
) -> Response {
    let answer = async {
        let issuer = issuer(&state, &slug).await?;
        with_basic(&headers, &mut request)?;
        request.from = Some(from);
        Ok::<_, Refusal>(state.engine.token(&issuer, &request).await?)
    }
    .await;
    match answer {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(refusal) => {
            let mut response = refusal.into_response();
            // RFC 6749 §5.2: a client that tried HTTP Basic is told how to
            // authenticate.
            if uses_basic(&headers) && response.status() == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"token\""),
                );
            }
            response
        }
    }
}

fn uses_basic(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
}

/// Puts HTTP Basic client credentials (RFC 6749 §2.3.1: each part
/// form-urlencoded) where the form would carry them.
pub(super) fn with_basic(headers: &HeaderMap, request: &mut TokenRequest) -> Result<(), Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let Some(encoded) = text
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
    else {
        return Ok(());
    };
    let refuse = |m: &str| Refusal(OAuthError::invalid_client(m.to_owned()));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            refuse("The HTTP Basic credentials are not base64 of `client_id:client_secret`.")
        })?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| refuse("The HTTP Basic credentials are not `client_id:client_secret`."))?;
    let (id, secret) = (form_decoded(id), form_decoded(secret));
    if request.client_secret.is_some() {
        return Err(Refusal(OAuthError::invalid_request(
            "Send the client secret one way: HTTP Basic or the form, not both.",
        )));
    }
    if request.client_id.as_deref().is_some_and(|c| c != id) {
        return Err(refuse(
            "`client_id` is not the client of the HTTP Basic credentials.",
        ));
    }
    request.client_id = Some(id);
    request.client_secret = Some(secret);
    Ok(())
}

/// `application/x-www-form-urlencoded` decoding of one value.
fn form_decoded(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}
