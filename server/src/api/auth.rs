//! Bearer-token authentication for the API.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use engine::people::tokens::TokenPrincipal;

use super::ApiError;
use crate::http::AppState;

/// The caller behind a personal access token.
pub struct Caller(pub TokenPrincipal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        Ok(Self(state.engine.authenticate_personal_token(token).await?))
    }
}

/// The bearer token of a request, or why there is none.
pub(super) fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthenticated(
            "Send a token in the Authorization header: `Authorization: Bearer <token>`.",
        )
    })?;
    token_of(value).ok_or_else(|| {
        ApiError::unauthenticated("The Authorization header must be `Bearer <token>`.")
    })
}

/// The token of an `Authorization: Bearer <token>` header, if it is one.
pub(crate) fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(token_of)
}

fn token_of(value: &axum::http::HeaderValue) -> Option<&str> {
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}
