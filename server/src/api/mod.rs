//! The REST API under `/api/v1`: JSON, bearer tokens, one error shape.

mod apps;
mod auth;
mod error;
mod json;
mod publishers;
mod registrations;
mod tenant_context;
pub(crate) mod tenants;

use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::http::AppState;

pub use auth::Caller;
pub use error::ApiError;
pub use registrations::RegistryPages;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/publishers",
            get(publishers::list).post(publishers::create),
        )
        .route(
            "/publishers/{slug}/members",
            get(publishers::members).post(publishers::invite),
        )
        .route("/publisher/apps", get(apps::list).post(apps::create))
        .route("/publisher/apps/{slug}", get(apps::get))
        .route("/publisher/apps/{slug}/draft", put(apps::put_draft))
        .route("/publisher/apps/{slug}/submit", post(apps::submit))
        .route(
            "/publisher/apps/{slug}/logo",
            put(apps::put_logo).delete(apps::delete_logo),
        )
        .route(
            "/publisher/apps/{slug}/installs",
            get(tenants::app_installs),
        )
        .route(
            "/publisher/apps/{slug}/installs/{tenant}/secret",
            post(tenants::rotate_secret),
        )
        .route(
            "/tenants/{tenant}",
            get(tenants::get_tenant).put(tenants::put_tenant),
        )
        .route(
            "/tenants/{tenant}/members",
            get(tenants::members).post(tenants::invite),
        )
        .route(
            "/tenants/{tenant}/members/{email}",
            delete(tenants::remove_member),
        )
        .route(
            "/tenants/{tenant}/installs",
            get(tenants::list_installs).post(tenants::install),
        )
        .route(
            "/tenants/{tenant}/installs/{id}/suspend",
            post(tenants::suspend),
        )
        .route(
            "/tenants/{tenant}/installs/{id}/resume",
            post(tenants::resume),
        )
        .route(
            "/tenants/{tenant}/installs/{id}/update",
            post(tenants::update),
        )
        .route("/tenants/{tenant}/installs/{id}", delete(tenants::revoke))
        .route(
            "/tenants/{tenant}/keys",
            get(tenants::list_keys).post(tenants::create_key),
        )
        .route("/tenants/{tenant}/keys/{id}", delete(tenants::delete_key))
        .route("/tenants/{tenant}/audit", get(tenants::audit))
        .route(
            "/tenants/{tenant}/webhook",
            get(tenants::webhook).put(tenants::set_webhook),
        )
        .route("/registrations", get(registrations::list))
        .route("/registrations/{client_id}", get(registrations::get))
        .route("/review/submissions", get(apps::review_queue))
        .route("/review/submissions/{id}/approve", post(apps::approve))
        .route("/review/submissions/{id}/reject", post(apps::reject))
        .route("/catalog/apps", get(apps::catalog))
        .route("/catalog/apps/{slug}", get(apps::catalog_app))
        .fallback(|| async { ApiError::not_found("There is no such API endpoint.") })
}

/// The list shape every collection answers with.
#[derive(Debug, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
