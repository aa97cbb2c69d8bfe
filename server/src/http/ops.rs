//! Operations endpoints and per-request telemetry.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers; fails while it does not, and recovers by itself.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if engine::db::ping(state.engine.db()).await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Counts requests and their latency by route pattern (never the raw path:
/// it may hold ids or one-time tokens).
pub async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The span every log line of a request carries: its id, method and path
/// (without the query, which may hold a one-time token).
pub fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path())
}

/// Records the client address on every audit entry the request writes
/// (the "from where" of the audit log).
pub async fn audit_origin(request: Request, next: Next) -> Response {
    // Reads change nothing, so they write no audit entries.
    if request.method().is_safe() {
        return next.run(request).await;
    }
    let origin = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    match origin {
        Some(origin) => engine::audit::with_origin(origin, next.run(request)).await,
        None => next.run(request).await,
    }
}
