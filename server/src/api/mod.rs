//! The REST API under `/api/v1`: JSON, bearer tokens, one error shape.

mod auth;
mod error;
mod json;
mod publishers;

use axum::routing::get;
use axum::Router;

use crate::http::AppState;

pub use auth::Caller;
pub use error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/publishers",
            get(publishers::list).post(publishers::create),
        )
        .fallback(|| async { ApiError::not_found("There is no such API endpoint.") })
}

/// The list shape every collection answers with.
#[derive(Debug, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
