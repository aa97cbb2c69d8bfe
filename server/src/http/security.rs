//! Browser security: refusing cross-site state changes and response headers.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Refuses state-changing requests that a browser sent from another site.
///
/// A browser marks every POST with `Origin` (older ones at least with
/// `Referer`); it must be our own `PUBLIC_URL` origin. Requests that carry a
/// bearer token to the REST API carry no ambient credentials and are exempt.
/// The refusal, or `None` when the request may go on.
pub fn cross_origin_refusal(state: &AppState, request: &Request) -> Option<Response> {
    // Safe methods (RFC 9110 §9.2.1) change nothing.
    if request.method().is_safe() {
        return None;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    let has_cookie = request.headers().contains_key(header::COOKIE);
    if request.uri().path().starts_with("/api/") && (bearer || !has_cookie) {
        return None;
    }
    // The authorization servers' endpoints read no cookies: a cross-site
    // post there can do nothing a direct one could not.
    if super::oauth::is_oauth_endpoint(request.uri().path()) {
        return None;
    }
    let expected = state.config.public_origin();
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            let referer = request.headers().get(header::REFERER)?.to_str().ok()?;
            url::Url::parse(referer)
                .ok()
                .map(|url| url.origin().ascii_serialization())
        });
    match origin {
        Some(origin) if origin == expected => None,
        Some(origin) => {
            tracing::warn!(%origin, "refused a cross-origin request");
            Some(refused("This request came from another site and was refused to protect your account. Go back to Sidecar, reload the page and try again."))
        }
        None => Some(refused("This request did not say which site it came from, so it was refused to protect your account. Reload the page and try again.")),
    }
}

fn refused(message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("403 Forbidden\n\n{message}\n"),
    )
        .into_response()
}

/// Headers on every response. Pages set their own Content-Security-Policy
/// (with a per-response nonce for the hydration script); everything else
/// gets a policy that allows nothing.
pub fn add_headers(state: &AppState, headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    if state.config.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}
