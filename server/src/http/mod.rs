//! The HTTP surface: pages and forms (with sessions), the REST API (bearer
//! tokens, no cookies), the built-in files and operations endpoints.

mod authorize;
mod console;
mod forms;
mod media;
mod oauth;
mod ops;
mod pages;
mod security;
mod session_guard;
mod tenant;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{header, HeaderValue};
use axum::routing::{any, get, post};
use axum::Router;
use engine::Engine;
use leptos::prelude::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::sessions::Store;

pub use session_guard::{ABSOLUTE_LIFETIME, IDLE_TIMEOUT};

/// The authorization servers' endpoints apps and EHRs call (token,
/// introspection, revocation, authorize, discovery), with their OpenAPI
/// operations: the API's document describes them too.
pub(crate) fn documented_operations() -> utoipa_axum::router::OpenApiRouter<AppState> {
    oauth::operations().merge(authorize::operations())
}

/// What every handler reaches. Cloned for each request by every layer
/// and extractor that takes it, so it is one shared pointer: copying the
/// parts themselves (the engine's handles, the Leptos options) on every
/// request was a measurable share of a registry poll.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub engine: Engine,
    pub leptos: LeptosOptions,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// Registry pages already answered (`GET /api/v1/registrations`).
    pub registry_pages: crate::api::RegistryPages,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// A logo upload: the largest logo plus room for the multipart framing.
const LOGO_FORM_LIMIT: usize = domain::MAX_LOGO_BYTES + 16 * 1024;

pub fn router(state: AppState, store: Store) -> Router {
    let secure = state.config.is_https();
    let sessions = SessionManagerLayer::new(store)
        .with_name(if secure {
            "__Host-sidecar"
        } else {
            "sidecar_session"
        })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            IDLE_TIMEOUT.num_seconds(),
        )));

    // Pages, forms and server functions: these use the session cookie.
    let site = pages::routes(&state)
        .route("/signup", post(forms::sign_up))
        .route("/login", post(forms::log_in))
        .route("/logout", post(forms::log_out))
        .route("/verify-email", post(forms::verify_email))
        .route("/forgot-password", post(forms::forgot_password))
        .route("/reset-password", post(forms::reset_password))
        .route("/account/tokens", post(forms::create_token))
        .route("/account/tokens/{id}/revoke", post(forms::revoke_token))
        .route("/dev/apps", post(console::create_app))
        .route("/dev/apps/{slug}/draft", post(console::save_draft))
        .route("/dev/apps/{slug}/submit", post(console::submit_app))
        .route(
            "/dev/apps/{slug}/logo",
            post(media::upload_logo).layer(DefaultBodyLimit::max(LOGO_FORM_LIMIT)),
        )
        .route("/dev/apps/{slug}/logo/remove", post(media::remove_logo))
        .route(
            "/dev/apps/{slug}/installs/{tenant}/secret",
            post(tenant::rotate_secret),
        )
        .route(
            "/dev/apps/{slug}/installs/{tenant}/server-secret",
            post(tenant::reveal_server_secret),
        )
        .route("/t/{tenant}/admin/installs", post(tenant::install))
        .route("/t/{tenant}/admin/audit.csv", get(tenant::audit_csv))
        .route(
            "/t/{tenant}/admin/installs/{id}/{verb}",
            post(tenant::change_install),
        )
        .route("/t/{tenant}/admin/keys", post(tenant::create_key))
        .route(
            "/t/{tenant}/admin/authorization-servers",
            post(tenant::add_server),
        )
        .route(
            "/t/{tenant}/admin/authorization-servers/{id}/check",
            post(tenant::check_server),
        )
        .route(
            "/t/{tenant}/admin/authorization-servers/{id}/default",
            post(tenant::make_default),
        )
        .route(
            "/t/{tenant}/admin/authorization-servers/{id}/remove",
            post(tenant::remove_server),
        )
        .route("/t/{tenant}/admin/webhook", post(tenant::set_webhook))
        .route("/t/{tenant}/admin/settings", post(tenant::save_settings))
        .route("/t/{tenant}/admin/members", post(tenant::invite_member))
        .route("/t/{tenant}/admin/users", post(tenant::create_user))
        .route("/t/{tenant}/admin/users/remove", post(tenant::remove_user))
        .route(
            "/t/{tenant}/admin/members/remove",
            post(tenant::remove_member),
        )
        .route(
            "/account/tenant-applications",
            post(tenant::apply_for_tenant),
        )
        .route(
            "/admin/applications/{id}/{verb}",
            post(tenant::decide_application),
        )
        .route(
            "/t/{tenant}/admin/keys/{id}/revoke",
            post(tenant::revoke_key),
        )
        .route("/admin/tenants", post(tenant::create_tenant))
        .route("/dev/publishers", post(console::create_publisher))
        .route(
            "/dev/publishers/{slug}/members",
            post(console::invite_member),
        )
        .route("/review/{id}/approve", post(console::approve))
        .route("/review/{id}/reject", post(console::reject))
        .fallback(pages::fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session_guard::load_account,
        ))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(64 * 1024));

    let pkg_dir = format!("{}/{}", state.leptos.site_root, state.leptos.site_pkg_dir);
    let pkg_route = format!("/{}", state.leptos.site_pkg_dir);

    Router::new()
        .merge(crate::api::router())
        .route("/api/v1", any(crate::api::no_such_endpoint))
        .route("/api/v1/{*rest}", any(crate::api::no_such_endpoint))
        .merge(documented_operations().split_for_parts().0)
        .merge(authorize::router())
        .route("/media/{id}", get(media::serve))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        // The site's scripts, styles and wasm come precompressed from the
        // build (scripts/precompress.sh); caches must key them by encoding.
        .nest_service(
            &pkg_route,
            SetResponseHeader::appending(
                ServeDir::new(pkg_dir)
                    .precompressed_br()
                    .precompressed_gzip(),
                header::VARY,
                HeaderValue::from_static("accept-encoding"),
            ),
        )
        .merge(site)
        // Pages and API answers, compressed as they are sent (what arrives
        // compressed already, as the site's files, is left as it is).
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::every_request,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(ops::request_span)
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::x_request_id(ops::MakeRequestId))
        .with_state(state)
}
