//! Each tenant's authorization server over HTTP (`/t/{tenant}/…`):
//! discovery and keys (open to any origin), and the token, introspection
//! and revocation endpoints, which answer in OAuth's error shape
//! (`{"error", "error_description"}`) and are never cached.
//!
//! Every route here is added through `routes!` with its
//! `#[utoipa::path]`, so the API's OpenAPI document describes what apps
//! and EHRs call most, as the API's own routes are.

mod discovery;
pub(crate) mod doc;
mod revocation;
mod token;

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use engine::authz::{Issuer, OAuthError};
use engine::EngineError;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// The authorization servers' routes, each with its OpenAPI operation.
pub fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery::smart_configuration))
        .routes(routes!(discovery::openid_configuration))
        .routes(routes!(discovery::oauth_authorization_server))
        .routes(routes!(discovery::jwks))
        .routes(routes!(token::token))
        .routes(routes!(revocation::introspect))
        .routes(routes!(revocation::revoke))
}

/// Is `path` one of the authorization server's endpoints (`oauth/…`,
/// `.well-known/…`)? They read no cookies, so a cross-site request can do
/// nothing a direct one could not.
pub fn is_oauth_endpoint(path: &str) -> bool {
    path.strip_prefix("/t/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| rest.starts_with("oauth/") || rest.starts_with(".well-known/"))
}

/// An OAuth error as the wire has it.
struct Refusal(OAuthError);

impl From<OAuthError> for Refusal {
    fn from(e: OAuthError) -> Self {
        Self(e)
    }
}

impl From<EngineError> for Refusal {
    fn from(e: EngineError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (
            status,
            no_store(),
            Json(json!({ "error": e.error, "error_description": e.description })),
        )
            .into_response();
        if let Some(secs) = e.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Token answers are never stored (RFC 6749 §5.1).
fn no_store() -> [(header::HeaderName, HeaderValue); 3] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
        (
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ),
    ]
}

async fn issuer(state: &AppState, slug: &str) -> Result<std::sync::Arc<Issuer>, Refusal> {
    state.engine.issuer(slug).await.map_err(|e| match e {
        EngineError::NotFound(_) => Refusal(OAuthError::new(
            404,
            "invalid_request",
            format!("There is no tenant `{slug}` on this server."),
        )),
        other => other.into(),
    })
}

/// A form body, refused in OAuth's shape when it is not one.
struct OAuthForm<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for OAuthForm<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(request, state).await {
            Ok(Form(value)) => Ok(Self(value)),
            Err(rejection) => Err(Refusal(OAuthError::invalid_request(format!(
                "Send the parameters as an application/x-www-form-urlencoded body: {}",
                rejection.body_text()
            )))),
        }
    }
}
