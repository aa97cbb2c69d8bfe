//! The review queue (`/api/v1/review/…`), for reviewers.

use axum::extract::{Path, State};
use axum::Json;
use domain::TokenScope;
use engine::publishing::review::Submission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::VersionResponse;
use crate::api::json::JsonBody;
use crate::api::{ApiError, Caller, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionResponse {
    pub id: String,
    pub app: String,
    pub publisher_name: String,
    pub version: VersionResponse,
}

impl From<Submission> for SubmissionResponse {
    fn from(s: Submission) -> Self {
        Self {
            id: s.version.id.clone(),
            version: (&s.version).into(),
            app: s.app_slug,
            publisher_name: s.publisher_name,
        }
    }
}

/// Versions waiting for review, oldest first (token scope `review`).
#[utoipa::path(
    get,
    path = "/api/v1/review/submissions",
    tag = "review",
    security(("personal_token" = [])),
    responses((status = 200, body = Page<SubmissionResponse>)),
)]
pub async fn review_queue(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Page<SubmissionResponse>>, ApiError> {
    caller.require(TokenScope::Review)?;
    let queue = state.engine.review_queue(&caller.account).await?;
    Ok(Json(Page {
        items: queue.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Approve a submission: it becomes the app's published version.
#[utoipa::path(
    post,
    path = "/api/v1/review/submissions/{id}/approve",
    tag = "review",
    security(("personal_token" = [])),
    params(("id" = String, Path, description = "The submission's (version's) id.")),
    responses((status = 200, body = VersionResponse)),
)]
pub async fn approve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<VersionResponse>, ApiError> {
    caller.require(TokenScope::Review)?;
    Ok(Json(
        (&state
            .engine
            .approve_submission(&caller.account, &id)
            .await?)
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// Reject a submission with a reason the developer is sent.
#[utoipa::path(
    post,
    path = "/api/v1/review/submissions/{id}/reject",
    tag = "review",
    security(("personal_token" = [])),
    params(("id" = String, Path, description = "The submission's (version's) id.")),
    request_body = RejectRequest,
    responses((status = 200, body = VersionResponse)),
)]
pub async fn reject(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RejectRequest>,
) -> Result<Json<VersionResponse>, ApiError> {
    caller.require(TokenScope::Review)?;
    Ok(Json(
        (&state
            .engine
            .reject_submission(&caller.account, &id, &body.reason)
            .await?)
            .into(),
    ))
}
