//! `GET/POST /api/v1/publishers`: the caller's publisher organisations.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use engine::orgs::PublisherMembership;
use serde::{Deserialize, Serialize};

use super::json::JsonBody;
use super::{ApiError, Caller, Page};
use crate::http::AppState;

#[derive(Debug, Serialize)]
pub struct PublisherResponse {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

impl From<PublisherMembership> for PublisherResponse {
    fn from(p: PublisherMembership) -> Self {
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            role: p.role.as_str().to_owned(),
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePublisherRequest {
    pub slug: String,
    pub name: String,
}

pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Page<PublisherResponse>>, ApiError> {
    let items = state.engine.list_publishers(&caller.account).await?;
    Ok(Json(Page {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreatePublisherRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let publisher = state
        .engine
        .create_publisher(&caller.account, &body.slug, &body.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PublisherResponse::from(publisher)),
    ))
}
