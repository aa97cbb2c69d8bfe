//! Operations endpoints and per-request telemetry.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers; fails while it does not, and recovers by itself.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if engine::platform::db::ping(state.engine.db()).await {
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

/// What every request goes through, in one middleware (one boxed future
/// and one copy of the route per request, rather than one per concern):
/// the client address for the audit log, the cross-site refusal, the
/// security headers, and the metrics (by route pattern, never the raw
/// path: it may hold ids or one-time tokens).
pub async fn every_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = known_method(request.method());
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = match super::security::cross_origin_refusal(&state, &request) {
        Some(refusal) => refusal,
        None => match audit_origin(&request) {
            Some(origin) => engine::platform::audit::with_origin(origin, next.run(request)).await,
            None => next.run(request).await,
        },
    };
    super::security::add_headers(&state, response.headers_mut());
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    RouteMetrics::record(
        &method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The client address every audit entry of the request records (the
/// "from where" of the audit log); reads change nothing, so need none.
fn audit_origin(request: &Request) -> Option<String> {
    if request.method().is_safe() {
        return None;
    }
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

/// The method as a label: any method outside HTTP's own counts as `OTHER`,
/// so that made-up methods cannot grow the metrics without bound.
fn known_method(method: &Method) -> Method {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if KNOWN.contains(method) {
        method.clone()
    } else {
        Method::from_bytes(b"OTHER").unwrap_or_default()
    }
}

/// The metric handles of each route, registered once: looking a labelled
/// metric up by name builds its label strings and hashes them, which the
/// busiest routes would otherwise pay on every request.
#[derive(Default)]
struct RouteMetrics {
    requests: Vec<(Method, u16, metrics::Counter)>,
    durations: Vec<(Method, metrics::Histogram)>,
}

type RouteTable = RwLock<HashMap<String, RouteMetrics>>;

impl RouteMetrics {
    fn table() -> &'static RouteTable {
        static TABLE: OnceLock<RouteTable> = OnceLock::new();
        TABLE.get_or_init(Default::default)
    }

    fn record(method: &Method, route: &str, status: u16, seconds: f64) {
        let table = Self::table();
        if let Ok(routes) = table.read() {
            if let Some(known) = routes.get(route) {
                if known.observe(method, status, seconds) {
                    return;
                }
            }
        }
        let Ok(mut routes) = table.write() else {
            return;
        };
        let known = routes.entry(route.to_owned()).or_default();
        if !known
            .requests
            .iter()
            .any(|(m, s, _)| m == method && *s == status)
        {
            let counter = metrics::counter!(
                "http_requests_total",
                "method" => method.to_string(),
                "route" => route.to_owned(),
                "status" => status.to_string()
            );
            known.requests.push((method.clone(), status, counter));
        }
        if !known.durations.iter().any(|(m, _)| m == method) {
            let histogram = metrics::histogram!(
                "http_request_duration_seconds",
                "method" => method.to_string(),
                "route" => route.to_owned()
            );
            known.durations.push((method.clone(), histogram));
        }
        known.observe(method, status, seconds);
    }

    /// Counts the request if its handles are here; false when one is not.
    fn observe(&self, method: &Method, status: u16, seconds: f64) -> bool {
        let counter = self
            .requests
            .iter()
            .find(|(m, s, _)| m == method && *s == status);
        let histogram = self.durations.iter().find(|(m, _)| m == method);
        match (counter, histogram) {
            (Some((_, _, counter)), Some((_, histogram))) => {
                counter.increment(1);
                histogram.record(seconds);
                true
            }
            _ => false,
        }
    }
}

/// Request ids: a random number drawn once per process, then a counter —
/// unique across processes without asking the kernel for randomness on
/// every request, as a random UUID would.
#[derive(Clone, Copy, Default)]
pub struct MakeRequestId;

impl tower_http::request_id::MakeRequestId for MakeRequestId {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        static PROCESS: OnceLock<u64> = OnceLock::new();
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let process = *PROCESS.get_or_init(rand::random);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("{process:016x}{n:016x}"))
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
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
